import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { bootRuntime, providerConfig, sse, startModelServer, user } from './test-helpers.js'

const KEY = 'sk-test-secret-7f3a9c'

test('text streams chunk by chunk; usage becomes tokens and cost at the configured prices', async () => {
  const server = await startModelServer(() => ({
    sse: [sse.text('Hel'), sse.text('lo, '), sse.text('world'), sse.finish('stop'), sse.usage(1000, 2000)],
    delayMs: 5,
  }))
  const rt = await bootRuntime(providerConfig(server.baseUrl))
  try {
    const r = await rt.turn({ messages: [{ role: 'system', content: 'be nice' }, user('greet me')], sessionId: 's-http' })
    assert.equal(r.ok, true, JSON.stringify(r.error))
    assert.deepEqual(
      r.events.filter((e) => e.type === 'chunk').map((e: any) => e.content),
      ['Hel', 'lo, ', 'world'],
    )
    assert.equal(r.result!.content, 'Hello, world')
    assert.equal(r.result!.provider, 'local')
    assert.equal(r.result!.model, 'test-model')
    assert.deepEqual(r.result!.usage, { input_tokens: 1000, output_tokens: 2000 })
    assert.equal(r.result!.cost_usd, 0.033) // 1000 × $3/M + 2000 × $15/M

    const end = rt.bus.find((e) => e.type === 'agent_end') as any
    assert.equal(end.tokens_used, 3000)
    assert.equal(end.cost_usd, 0.033)

    const [req] = server.requests
    assert.equal(req.path, '/v1/chat/completions')
    assert.equal(req.headers.authorization, `Bearer ${KEY}`)
    assert.equal(req.body.model, 'test-model')
    assert.equal(req.body.temperature, 0.2)
    assert.equal(req.body.stream, true)
    assert.deepEqual(req.body.stream_options, { include_usage: true })
    assert.deepEqual(req.body.messages, [
      { role: 'system', content: 'be nice' },
      { role: 'user', content: 'greet me' },
    ])
    const add = req.body.tools.find((t: any) => t.function.name === 'fx_add')
    assert.equal(add.type, 'function')
    assert.equal(add.function.description, 'Add two numbers a and b.')
    assert.deepEqual(add.function.parameters.required, ['a', 'b'])
  } finally {
    await rt.stop()
    await server.close()
  }
})

test('a tool call split across deltas runs, and the next request carries the result and the steering note', async () => {
  const server = await startModelServer((_body, n) =>
    n === 0
      ? {
          sse: [
            sse.text('Let me add. '),
            sse.toolCall(0, { id: 'call_abc', name: 'fx_add', arguments: '' }),
            sse.toolCall(0, { arguments: '{"a":' }),
            sse.toolCall(0, { arguments: ' 4, "b"' }),
            sse.toolCall(0, { arguments: ': 5}' }),
            sse.finish('tool_calls'),
            sse.usage(50, 20),
          ],
        }
      : { sse: [sse.text('The sum is 9.'), sse.usage(80, 6)] },
  )
  const rt = await bootRuntime(providerConfig(server.baseUrl))
  try {
    const r = await rt.turn({ messages: [user('what is 4 + 5?')], steerAfterToolResult: 'answer in one sentence' })
    assert.equal(r.ok, true, JSON.stringify(r.error))
    const call = r.events.find((e) => e.type === 'tool_call') as any
    assert.deepEqual([call.id, call.name, call.args], ['call_abc', 'fx_add', { a: 4, b: 5 }])
    const res = r.events.find((e) => e.type === 'tool_result') as any
    assert.equal(res.output, 'sum=9')
    assert.equal(r.result!.content, 'The sum is 9.')
    assert.deepEqual(r.result!.usage, { input_tokens: 130, output_tokens: 26 })

    assert.equal(server.requests.length, 2)
    const second = server.requests[1].body.messages
    assert.deepEqual(second[1], {
      role: 'assistant',
      content: 'Let me add. ',
      tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'fx_add', arguments: '{"a": 4, "b": 5}' } }],
    })
    assert.deepEqual(second[2], { role: 'tool', tool_call_id: 'call_abc', content: 'sum=9' })
    assert.deepEqual(second[3], { role: 'user', content: '[Steering note during active turn]\nanswer in one sentence' })
    assert.deepEqual(
      rt.bus.filter((e) => e.type === 'tool_call_start' || e.type === 'tool_call').map((e) => e.type),
      ['tool_call_start', 'tool_call'],
    )
  } finally {
    await rt.stop()
    await server.close()
  }
})

test("a provider 500 fails the turn with PROVIDER_ERROR and the provider's message, and an error event", async () => {
  const server = await startModelServer(() => ({ status: 500, json: { error: { message: 'upstream overloaded, try later', type: 'server_error' } } }))
  const rt = await bootRuntime(providerConfig(server.baseUrl))
  try {
    const r = await rt.turn({ messages: [user('hi')], sessionId: 's-500' })
    assert.equal(r.ok, false)
    assert.equal(r.error!.name, 'AgentTurnError')
    assert.equal(r.error!.code, 'PROVIDER_ERROR')
    assert.match(r.error!.message, /HTTP 500: upstream overloaded, try later/)
    const err = rt.bus.find((e) => e.type === 'error') as any
    assert.equal(err.component, 'agent_runtime')
    assert.equal(err.session_id, 's-500')
    assert.match(err.message, /upstream overloaded/)
    assert.equal(
      rt.bus.some((e) => e.type === 'agent_end'),
      false,
    )
  } finally {
    await rt.stop()
    await server.close()
  }
})

test('an unreachable provider is a PROVIDER_ERROR naming where it looked', async () => {
  const gone = await startModelServer(() => ({ status: 200, json: {} }))
  await gone.close()
  const rt = await bootRuntime(providerConfig(gone.baseUrl))
  try {
    const r = await rt.turn({ messages: [user('hi')] })
    assert.equal(r.error!.code, 'PROVIDER_ERROR')
    assert.match(r.error!.message, new RegExp(`provider "local" is unreachable at ${gone.baseUrl.replace(/[.]/g, '\\.')}`))
  } finally {
    await rt.stop()
  }
})

test('401 is AUTH_ERROR, and the api key never shows in errors or in /api/status', async () => {
  const server = await startModelServer(() => ({ status: 401, json: { error: { message: `Incorrect API key provided: ${KEY}` } } }))
  const rt = await bootRuntime(providerConfig(server.baseUrl))
  try {
    const r = await rt.turn({ messages: [user('hi')] })
    assert.equal(r.error!.code, 'AUTH_ERROR')
    assert.match(r.error!.message, /HTTP 401: Incorrect API key provided: \*\*\*/)
    assert.equal(server.requests[0].headers.authorization, `Bearer ${KEY}`)
    assert.ok(!JSON.stringify(rt.bus).includes(KEY))

    const status = await rt.k.inject({ url: '/api/status', headers: { authorization: `Bearer ${rt.k.token}` } })
    assert.equal(status.json().provider, 'local')
    assert.equal(status.json().model, 'test-model')
    assert.equal(status.json().temperature, 0.2)
    assert.ok(!status.body.includes(KEY))
    assert.ok(!status.body.includes('7f3a9c'))
  } finally {
    await rt.stop()
    await server.close()
  }
})

test('api_key_env, custom headers, and images sent as data URLs when supports_images = true', async () => {
  const server = await startModelServer(() => ({ sse: [sse.text('a red square')] }))
  process.env.REVKA_AR_TEST_KEY = 'sk-from-env-91b2'
  const table = `supports_images = true\n[providers.local.headers]\nX-Title = "revka-test"\n`
  const config = providerConfig(server.baseUrl, '', table).replace(`api_key = "${KEY}"`, 'api_key_env = "REVKA_AR_TEST_KEY"')
  const rt = await bootRuntime(config)
  try {
    const png = join(rt.k.stateDir, 'square.png')
    writeFileSync(png, Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]))
    const info = (await rt.k.inject({ url: '/fx/agent/info' })).json()
    assert.equal(info.supportsImages, true)
    const r = await rt.turn({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image', mime: 'image/png', path: png },
          ],
        },
      ],
    })
    assert.equal(r.ok, true, JSON.stringify(r.error))
    const req = server.requests[0]
    assert.equal(req.headers.authorization, 'Bearer sk-from-env-91b2')
    assert.equal(req.headers['x-title'], 'revka-test')
    assert.deepEqual(req.body.messages[0].content, [
      { type: 'text', text: 'what is this?' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]).toString('base64')}` } },
    ])
  } finally {
    delete process.env.REVKA_AR_TEST_KEY
    await rt.stop()
    await server.close()
  }
})

test('stop and the turn timeout abort a streaming HTTP request, keeping what arrived', async () => {
  const server = await startModelServer((body) =>
    body.messages[0].content === 'hang'
      ? { sse: [], hang: true }
      : { sse: [sse.text('one '), sse.text('two '), sse.text('three '), sse.text('four')], delayMs: 40, hang: true },
  )
  const rt = await bootRuntime(providerConfig(server.baseUrl))
  try {
    const stopped = await rt.turn({ messages: [user('count')], stopAfterChunks: 2 })
    assert.equal(stopped.ok, true, JSON.stringify(stopped.error))
    assert.equal(stopped.result!.stopped, true)
    assert.equal(stopped.result!.content, 'one two ')

    const t0 = Date.now()
    const hung = await rt.turn({ messages: [user('hang')], timeoutMs: 150 })
    assert.equal(hung.ok, true, JSON.stringify(hung.error))
    assert.equal(hung.result!.timedOut, true)
    assert.equal(hung.result!.content, '')
    assert.ok(Date.now() - t0 < 2000)
  } finally {
    await rt.stop()
    await server.close()
  }
})
