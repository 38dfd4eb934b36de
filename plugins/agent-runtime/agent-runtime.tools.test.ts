import { test } from 'node:test'
import assert from 'node:assert/strict'
import { agentTypes, bootRuntime, user } from './test-helpers.js'

test('/tool runs a tool another plugin contributed, and the answer uses its result', async () => {
  const rt = await bootRuntime()
  try {
    const r = await rt.turn({ messages: [user('/tool fx_add {"a": 2, "b": 3}')], sessionId: 's-tool' })
    assert.equal(r.ok, true, JSON.stringify(r.error))
    const kinds = r.events.map((e) => e.type)
    const call = kinds.indexOf('tool_call')
    const result = kinds.indexOf('tool_result')
    const firstChunk = kinds.indexOf('chunk')
    assert.ok(call >= 0 && call < result && result < firstChunk, `order was ${kinds.join(',')}`)
    assert.deepEqual(r.events[call], { type: 'tool_call', id: (r.events[call] as any).id, name: 'fx_add', args: { a: 2, b: 3 } })
    assert.equal((r.events[result] as any).output, 'sum=5')
    assert.equal((r.events[result] as any).success, true)
    assert.match(r.result!.content, /fx_add answered: sum=5/)

    const [ask, answer, final] = r.result!.messages
    assert.equal(ask.role, 'assistant')
    assert.equal(ask.tool_calls![0].name, 'fx_add')
    assert.deepEqual(JSON.parse(ask.tool_calls![0].arguments), { a: 2, b: 3 })
    assert.deepEqual(answer, { role: 'tool', tool_call_id: ask.tool_calls![0].id, name: 'fx_add', content: 'sum=5' })
    assert.equal(final.content, r.result!.content)

    assert.deepEqual(agentTypes(rt.bus), ['agent_start', 'llm_request', 'tool_call_start', 'tool_call', 'llm_request', 'agent_end'])
    const done = rt.bus.find((e) => e.type === 'tool_call') as any
    assert.equal(done.tool, 'fx_add')
    assert.equal(done.success, true)
    assert.equal(done.session_id, 's-tool')
    assert.ok(typeof done.duration_ms === 'number' && done.duration_ms >= 0)
    assert.equal((rt.bus.find((e) => e.type === 'tool_call_start') as any).tool, 'fx_add')
  } finally {
    await rt.stop()
  }
})

test('an unknown tool, bad JSON arguments and a throwing tool become failed results, not crashes', async () => {
  const rt = await bootRuntime()
  try {
    const cases: Array<[string, RegExp]> = [
      ['/tool no_such_tool {}', /no tool named "no_such_tool".*fx_add/],
      ['/tool fx_add {"a": 1,', /not valid JSON/],
      ['/tool fx_add [1, 2]', /must be a JSON object/],
      ['/tool fx_fail {}', /fx_fail failed: fx_fail exploded/],
    ]
    for (const [text, explained] of cases) {
      const r = await rt.turn({ messages: [user(text)] })
      assert.equal(r.ok, true, `${text}: ${JSON.stringify(r.error)}`)
      const res = r.events.find((e) => e.type === 'tool_result') as any
      assert.equal(res.success, false, text)
      assert.match(res.output, explained)
      assert.match(r.result!.content, explained, 'the model saw the explanation and relayed it')
    }
    const calls = rt.bus.filter((e) => e.type === 'tool_call') as any[]
    assert.equal(calls.length, 4)
    assert.ok(calls.every((c) => c.success === false))
  } finally {
    await rt.stop()
  }
})

test('the built-in current_time tool answers, and tools:false keeps tools away from the model', async () => {
  const rt = await bootRuntime()
  try {
    const r = await rt.turn({ messages: [user('/tool current_time {"timezone": "UTC"}')] })
    const res = r.events.find((e) => e.type === 'tool_result') as any
    assert.equal(res.success, true)
    const now = JSON.parse(res.output)
    assert.equal(now.timezone, 'UTC')
    assert.ok(Math.abs(Date.parse(now.utc) - Date.now()) < 60_000)

    const off = await rt.turn({ messages: [user('/tool fx_add {"a": 1, "b": 1}')], tools: false })
    assert.equal(off.ok, true)
    assert.equal(
      off.events.some((e) => e.type === 'tool_call'),
      false,
    )
    assert.match(off.result!.content, /cannot run fx_add/)
  } finally {
    await rt.stop()
  }
})
