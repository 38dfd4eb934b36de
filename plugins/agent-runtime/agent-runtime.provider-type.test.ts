/**
 * A `[providers.<name>]` table named after a provider type implies that type, as
 * `[providers.offline]` always did: `[providers.openai-compatible]` needs no `type` line (issue 21).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bootRuntime, sse, startModelServer, user } from './test-helpers.js'

test('[providers.openai-compatible] without a type line calls the OpenAI-compatible server', async () => {
  const server = await startModelServer(() => ({ sse: [sse.text('from the model'), sse.finish('stop')] }))
  const rt = await bootRuntime(`default_provider = "openai-compatible"
default_model = "m"

[providers.openai-compatible]
base_url = "${server.baseUrl}"
api_key = "sk-implied-type"
`)
  try {
    assert.equal(rt.k.plugin('agent-runtime')!.status, 'started', rt.k.plugin('agent-runtime')!.diagnostic)
    const r = await rt.turn({ messages: [user('hi')], sessionId: 's-implied' })
    assert.equal(r.ok, true, JSON.stringify(r.error))
    assert.equal(r.result!.content, 'from the model')
    assert.equal(r.result!.provider, 'openai-compatible')
    assert.equal(server.requests.length, 1)
    assert.equal(server.requests[0].headers.authorization, 'Bearer sk-implied-type')
  } finally {
    await rt.stop()
    await server.close()
  }
})

test('any other table name still needs its type, and the diagnostic says so', async () => {
  const rt = await bootRuntime('default_provider = "mine"\ndefault_model = "m"\n[providers.mine]\nbase_url = "http://127.0.0.1:9/v1"\napi_key = "k"\n', [
    'agent-runtime',
    'ar-turn-probe',
  ])
  try {
    const p = rt.k.plugin('agent-runtime')!
    assert.equal(p.status, 'failed')
    assert.match(p.diagnostic!, /providers\.mine\.type is missing/)
  } finally {
    await rt.stop()
  }
})
