import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bootRuntime, user } from './test-helpers.js'
import { ANTHROPIC_KEY, anthropicConfig, startAnthropicServer, transcript } from './anthropic-fake.js'
import { loadSettings } from './settings.js'

const TOOL_USE = 'anthropic-tool-use.txt'
const TEXT = 'anthropic-text.txt'

test('the recorded transcripts follow the published event-stream grammar', () => {
  for (const name of [TOOL_USE, TEXT, 'anthropic-overloaded-mid-stream.txt']) {
    const events = transcript(name).map((raw) => {
      const m = /^event: (\w+)\ndata: (.*)$/.exec(raw)
      assert.ok(m, `${name}: every event is one "event:" line and one "data:" line: ${raw}`)
      const data = JSON.parse(m![2])
      assert.equal(data.type, m![1], `${name}: the data's type repeats the event name`)
      return data
    })
    assert.equal(events[0].type, 'message_start')
    assert.ok(['message_stop', 'error'].includes(events.at(-1).type), `${name} ends with message_stop or error`)
    const open = new Set<number>()
    for (const e of events) {
      if (e.type === 'content_block_start') open.add(e.index)
      if (e.type === 'content_block_delta') assert.ok(open.has(e.index), `${name}: a delta belongs to a started block`)
      if (e.type === 'content_block_stop') open.delete(e.index)
    }
  }
})

test('a tool_use turn: text streams, the tool runs, the result goes back as a tool_result block; cache tokens are priced apart', async () => {
  const server = await startAnthropicServer((_b, n) => ({ events: transcript(n === 0 ? TOOL_USE : TEXT), delayMs: 2 }))
  const rt = await bootRuntime(anthropicConfig(server.baseUrl))
  try {
    const r = await rt.turn({ messages: [user('what is 4 + 5?')] })
    assert.equal(r.ok, true, JSON.stringify(r.error))
    assert.deepEqual(
      r.events.filter((e) => e.type === 'chunk').map((e: any) => e.content),
      ['Let me ', 'add those.', 'The sum ', 'is 9.'],
    )
    const call = r.events.find((e) => e.type === 'tool_call') as any
    assert.deepEqual([call.id, call.name, call.args], ['toolu_01T1x1fJ34qAmk2tNTrN7Up6', 'fx_add', { a: 4, b: 5 }])
    assert.equal((r.events.find((e) => e.type === 'tool_result') as any).output, 'sum=9')
    assert.equal(r.result!.content, 'The sum is 9.')
    assert.equal(r.result!.provider, 'claude')
    assert.equal(r.result!.model, 'claude-sonnet-4-5')
    // input = fresh + cache writes + cache reads of both calls: (472+2000+10000) + (600+0+12000)
    assert.deepEqual(r.result!.usage, { input_tokens: 25072, output_tokens: 96 })
    // fresh 1072 × $3 + writes 2000 × $3.75 + reads 22000 × $0.30 + output 96 × $15, per million
    assert.equal(r.result!.cost_usd, 0.018756)

    assert.equal(server.requests.length, 2)
    assert.deepEqual(server.requests[1].body.messages, [
      { role: 'user', content: [{ type: 'text', text: 'what is 4 + 5?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me add those.' },
          { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'fx_add', input: { a: 4, b: 5 } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', content: 'sum=9' }] },
    ])
  } finally {
    await rt.stop()
    await server.close()
  }
})

test('the exact request of one turn with a tool: path, headers, body', async () => {
  const server = await startAnthropicServer(() => ({ events: transcript(TEXT) }))
  const rt = await bootRuntime(anthropicConfig(server.baseUrl))
  try {
    const r = await rt.turn({ messages: [{ role: 'system', content: 'be brief' }, user('add 4 and 5')] })
    assert.equal(r.ok, true, JSON.stringify(r.error))
    const [req] = server.requests
    assert.equal(req.path, '/v1/messages')
    assert.equal(req.headers['x-api-key'], ANTHROPIC_KEY)
    assert.equal(req.headers['anthropic-version'], '2023-06-01')
    assert.equal(req.headers['content-type'], 'application/json')
    assert.equal(req.headers.accept, 'text/event-stream')
    assert.equal(req.headers.authorization, undefined, 'the key travels only in x-api-key')
    const { tools, ...rest } = req.body
    assert.deepEqual(rest, {
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      system: 'be brief',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'add 4 and 5' }] }],
      temperature: 0.2,
      stream: true,
      tool_choice: { type: 'auto' },
    })
    assert.deepEqual(
      tools.find((t: any) => t.name === 'fx_add'),
      {
        name: 'fx_add',
        description: 'Add two numbers a and b.',
        input_schema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
      },
    )
    for (const t of tools) assert.deepEqual(Object.keys(t).sort(), ['description', 'input_schema', 'name'])
  } finally {
    await rt.stop()
    await server.close()
  }
})

test('an error event mid-stream fails the turn after the text that arrived; a 429 and a 401 fail it before', async () => {
  const server = await startAnthropicServer(
    (_b, n) =>
      [
        { events: transcript('anthropic-overloaded-mid-stream.txt') },
        {
          status: 429,
          errorType: 'rate_limit_error',
          message: 'Number of request tokens has exceeded your per-minute rate limit',
          headers: { 'retry-after': '7' },
        },
        { status: 401, errorType: 'authentication_error', message: `invalid x-api-key ${ANTHROPIC_KEY}` },
      ][n] as any,
  )
  const rt = await bootRuntime(anthropicConfig(server.baseUrl))
  try {
    const mid = await rt.turn({ messages: [user('hi')] })
    assert.equal(mid.ok, false)
    assert.equal(mid.error!.code, 'PROVIDER_ERROR')
    assert.match(mid.error!.message, /overloaded_error mid-stream: Overloaded/)
    assert.deepEqual(
      mid.events.filter((e) => e.type === 'chunk').map((e: any) => e.content),
      ['Partial'],
    )

    const limited = await rt.turn({ messages: [user('hi')] })
    assert.equal(limited.error!.code, 'PROVIDER_ERROR')
    assert.match(limited.error!.message, /HTTP 429: Number of request tokens/)

    const denied = await rt.turn({ messages: [user('hi')] })
    assert.equal(denied.error!.code, 'AUTH_ERROR')
    assert.ok(!denied.error!.message.includes(ANTHROPIC_KEY), 'the key is scrubbed from the error')
    assert.equal(server.requests.length, 3, 'nothing is retried')
  } finally {
    await rt.stop()
    await server.close()
  }
})

test('settings: anthropic defaults to api.anthropic.com and max_tokens 4096; cache prices can be set', () => {
  const s = loadSettings(
    (k) => (({ default_provider: 'c', providers: { c: { type: 'anthropic', api_key: 'k', model: 'm', cache_read_cost_per_mtok: 0.5 } } }) as any)[k],
    {},
  )
  assert.equal(s.provider.baseUrl, 'https://api.anthropic.com')
  assert.equal(s.provider.maxTokens, 4096)
  assert.equal(s.provider.cacheReadCostPerMtok, 0.5)
  assert.throws(
    () => loadSettings((k) => (({ default_provider: 'c', providers: { c: { type: 'anthropic', model: 'm', max_tokens: 1.5 } } }) as any)[k], {}),
    /providers\.c\.max_tokens must be a whole number/,
  )
})
