import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bootRuntime, providerConfig, sse, startModelServer, user } from './test-helpers.js'

test('stop mid-stream ends the turn as stopped and keeps the partial reply', async () => {
  const rt = await bootRuntime()
  try {
    const full = await rt.turn({ messages: [user('tell me something long and detailed')] })
    const r = await rt.turn({ messages: [user('tell me something long and detailed')], sessionId: 's-stop', stopAfterChunks: 1 })
    assert.equal(r.ok, true, JSON.stringify(r.error))
    assert.equal(r.result!.stopped, true)
    assert.equal(r.result!.timedOut, false)
    const chunks = r.events.filter((e) => e.type === 'chunk').map((e: any) => e.content)
    assert.equal(chunks.length, 1)
    assert.equal(r.result!.content, chunks[0])
    assert.ok(r.result!.content.length > 0 && full.result!.content.startsWith(r.result!.content))
    assert.ok(r.result!.content.length < full.result!.content.length)
    const end = rt.bus.find((e) => e.type === 'agent_end' && (e as any).session_id === 's-stop') as any
    assert.ok(end, 'a stopped turn still reports agent_end')
  } finally {
    await rt.stop()
  }
})

test('the turn timeout (provider_timeout_secs × min(max(max_tool_iterations,1),4)) ends a hung tool', async () => {
  const rt = await bootRuntime('provider_timeout_secs = 0.1\nmax_tool_iterations = 2\n')
  try {
    const t0 = Date.now()
    const r = await rt.turn({ messages: [user('/tool fx_wait {"ms": 20000}')], sessionId: 's-timeout' })
    const took = Date.now() - t0
    assert.equal(r.ok, true, JSON.stringify(r.error))
    assert.equal(r.result!.timedOut, true)
    assert.equal(r.result!.stopped, false)
    assert.ok(took >= 190 && took < 3000, `took ${took} ms, expected about 200`)
    // the unanswered call is closed off, so the saved history stays valid for the next turn
    const last = r.result!.messages.at(-1)!
    assert.equal(last.role, 'tool')
    assert.match(String(last.content), /not run: the turn was stopped/)
    const call = rt.bus.find((e) => e.type === 'tool_call') as any
    assert.equal(call.success, false)
    assert.ok(rt.bus.some((e) => e.type === 'agent_end' && (e as any).session_id === 's-timeout'))

    // a request's own timeoutMs overrides the configured budget
    const quick = await rt.turn({ messages: [user('/tool fx_wait {"ms": 20000}')], timeoutMs: 50 })
    assert.equal(quick.result!.timedOut, true)
    assert.ok(quick.result!.duration_ms < 190, `took ${quick.result!.duration_ms} ms`)
  } finally {
    await rt.stop()
  }
})

test('max_tool_iterations stops a model that keeps calling tools, then asks it to answer without them', async () => {
  let calls = 0
  const server = await startModelServer((body) =>
    body.tool_choice === 'none'
      ? { sse: [sse.text('Best I can say: the sum keeps growing.'), sse.usage(10, 5)] }
      : { sse: [sse.toolCall(0, { id: `call_${++calls}`, name: 'fx_add', arguments: '{"a":1,"b":1}' }), sse.finish('tool_calls'), sse.usage(10, 5)] },
  )
  const rt = await bootRuntime(providerConfig(server.baseUrl, 'max_tool_iterations = 2'))
  try {
    const r = await rt.turn({ messages: [user('add forever')] })
    assert.equal(r.ok, true, JSON.stringify(r.error))
    assert.equal(server.requests.length, 3)
    assert.deepEqual(
      server.requests.map((q) => q.body.tool_choice),
      ['auto', 'auto', 'none'],
    )
    assert.equal(rt.bus.filter((e) => e.type === 'tool_call').length, 2)
    assert.equal(rt.bus.filter((e) => e.type === 'llm_request').length, 3)
    assert.ok(r.events.some((e) => e.type === 'status' && e.phase === 'tool_limit'))
    assert.equal(r.result!.content, 'Best I can say: the sum keeps growing.')
    assert.deepEqual(r.result!.usage, { input_tokens: 30, output_tokens: 15 })
  } finally {
    await rt.stop()
    await server.close()
  }
})

test('a model that ignores tool_choice none at the cap does not get its tools run', async () => {
  const server = await startModelServer(() => ({ sse: [sse.toolCall(0, { id: 'call_x', name: 'fx_add', arguments: '{}' })] }))
  const rt = await bootRuntime(providerConfig(server.baseUrl, 'max_tool_iterations = 1'))
  try {
    const r = await rt.turn({ messages: [user('add forever')] })
    assert.equal(r.ok, true)
    assert.equal(server.requests.length, 2)
    assert.equal(rt.bus.filter((e) => e.type === 'tool_call').length, 1)
    assert.match(r.result!.content, /stopped after 1 round of tool calls/)
  } finally {
    await rt.stop()
    await server.close()
  }
})
