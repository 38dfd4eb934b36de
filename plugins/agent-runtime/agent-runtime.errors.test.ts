import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bootRuntime, deadPort, providerConfig, sse, startModelServer, user } from './test-helpers.js'
import { anthropicConfig, startAnthropicServer } from './anthropic-fake.js'

test('a wrong key, an unknown model, a rate limit and a server failure each name their reason and a hint', async () => {
  const replies = [
    { status: 401, json: { error: { message: 'Incorrect API key provided: sk-test-secret-7f3a9c' } } },
    { status: 404, json: { error: { message: 'The model `gpt-9` does not exist' } } },
    { status: 429, json: { error: { message: 'Rate limit reached' } } },
    { status: 503, json: { error: { message: 'upstream overloaded' } } },
  ]
  const server = await startModelServer((_b, n) => replies[n])
  const rt = await bootRuntime(providerConfig(server.baseUrl))
  try {
    const got = []
    for (let i = 0; i < replies.length; i++) got.push((await rt.turn({ messages: [user('hi')] })).error!)
    assert.deepEqual(
      got.map((e) => e.code),
      ['AUTH_ERROR', 'PROVIDER_ERROR', 'PROVIDER_ERROR', 'PROVIDER_ERROR'],
    )
    assert.match(
      got[0].message,
      /HTTP 401: Incorrect API key provided: \*\*\* \[auth\] Hint: the key was refused: check api_key, api_key_env or api_key_profile/,
    )
    assert.match(got[1].message, /HTTP 404: The model `gpt-9` does not exist \[model_not_found\] Hint: check the model name \(GET \/api\/models/)
    assert.match(got[2].message, /HTTP 429: Rate limit reached \[rate_limited\] Hint: .*fallback_providers/)
    assert.match(got[3].message, /HTTP 503: upstream overloaded \[unavailable\] Hint: /)
    for (const e of got) assert.ok(!e.message.includes('sk-test-secret-7f3a9c'))
    assert.equal(server.requests.length, 4, 'without fallback_providers nothing is retried')
  } finally {
    await rt.stop()
    await server.close()
  }
})

test('an unreachable base_url says so, with the URL and what to check', async () => {
  const url = `http://127.0.0.1:${await deadPort()}/v1`
  const rt = await bootRuntime(providerConfig(url))
  try {
    const r = await rt.turn({ messages: [user('hi')] })
    assert.equal(r.error!.code, 'PROVIDER_ERROR')
    assert.match(
      r.error!.message,
      new RegExp(`provider "local" is unreachable at ${url.replace(/[.]/g, '\\.')}: ECONNREFUSED \\[unreachable\\] Hint: check base_url`),
    )
  } finally {
    await rt.stop()
  }
})

test('anthropic: an error event maps its type to the reason (overloaded → unavailable, not_found → model_not_found)', async () => {
  const ev = (type: string, message: string) => [`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message } })}`]
  const server = await startAnthropicServer((_b, n) => ({ events: n === 0 ? ev('overloaded_error', 'Overloaded') : ev('not_found_error', 'model: claude-9') }))
  const rt = await bootRuntime(anthropicConfig(server.baseUrl))
  try {
    assert.match((await rt.turn({ messages: [user('hi')] })).error!.message, /overloaded_error mid-stream: Overloaded \[unavailable\]/)
    assert.match((await rt.turn({ messages: [user('hi')] })).error!.message, /not_found_error mid-stream: model: claude-9 \[model_not_found\]/)
  } finally {
    await rt.stop()
    await server.close()
  }
})

test('an openai-compatible error chunk after the 200 carries its HTTP-like code', async () => {
  const server = await startModelServer(() => ({ sse: [sse.text('par'), { error: { code: 429, message: 'Rate limit exceeded upstream' } }] }))
  const rt = await bootRuntime(providerConfig(server.baseUrl))
  try {
    const r = await rt.turn({ messages: [user('hi')] })
    assert.match(r.error!.message, /reported: Rate limit exceeded upstream \[rate_limited\]/)
  } finally {
    await rt.stop()
    await server.close()
  }
})
