import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bootRuntime, deadPort, startRecordingServer } from './test-helpers.js'
import { ANTHROPIC_KEY } from './anthropic-fake.js'

/** A models endpoint answering `rows` as `{data: rows}` with status `status`. */
const modelsServer = (rows: unknown[], root: string, status = 200) =>
  startRecordingServer((res) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(status === 200 ? { data: rows } : { error: { message: 'Invalid API key' } }))
  }, root)

test('GET /api/models lists each configured provider from its models endpoint, cached; failures stay in their entry', async () => {
  const oa = await modelsServer(
    [
      { id: 'gpt-4o-mini', object: 'model' },
      { id: 'gpt-4o', object: 'model' },
    ],
    '/v1',
  )
  const an = await modelsServer([{ id: 'claude-sonnet-4-5', display_name: 'Claude Sonnet 4.5', type: 'model' }], '')
  const bad = await modelsServer([], '/v1', 401)
  const down = `http://127.0.0.1:${await deadPort()}/v1`
  const rt = await bootRuntime(`
default_provider = "oa"
default_model = "gpt-4o-mini"

[providers.oa]
type = "openai-compatible"
base_url = "${oa.baseUrl}"
api_key = "sk-oa"

[providers.claude]
type = "anthropic"
base_url = "${an.baseUrl}"
api_key = "${ANTHROPIC_KEY}"
model = "claude-sonnet-4-5"

[providers.wrongkey]
type = "openai-compatible"
base_url = "${bad.baseUrl}"
api_key = "sk-wrong-123456"

[providers.down]
type = "openai-compatible"
base_url = "${down}"

[providers.offline]
`)
  const get = (auth = true) => rt.k.inject({ method: 'GET', url: '/api/models', headers: auth ? { authorization: `Bearer ${rt.k.token}` } : {} })
  try {
    const anon = await get(false)
    assert.equal(anon.statusCode, 401)
    assert.equal(oa.requests.length + an.requests.length, 0, 'no provider was asked for an anonymous caller')

    const res = await get()
    assert.equal(res.statusCode, 200, res.body)
    const body = res.json()
    assert.equal(body.default_provider, 'oa')
    const by = Object.fromEntries(body.providers.map((p: any) => [p.provider, p]))
    assert.deepEqual(by.oa.models, [{ id: 'gpt-4o-mini' }, { id: 'gpt-4o' }])
    assert.equal(by.oa.model, 'gpt-4o-mini')
    assert.deepEqual(by.claude.models, [{ id: 'claude-sonnet-4-5', name: 'Claude Sonnet 4.5' }])
    assert.equal(by.wrongkey.error.code, 'auth')
    assert.ok(!res.body.includes('sk-wrong-123456'), 'keys never appear in the answer')
    assert.equal(by.down.error.code, 'unreachable')
    assert.deepEqual([by.offline.source, by.offline.models], ['builtin', [{ id: 'offline-echo' }]])

    assert.equal(oa.requests[0].path, '/v1/models')
    assert.equal(oa.requests[0].headers.authorization, 'Bearer sk-oa')
    assert.equal(an.requests[0].path, '/v1/models?limit=1000')
    assert.equal(an.requests[0].headers['x-api-key'], ANTHROPIC_KEY)
    assert.equal(an.requests[0].headers['anthropic-version'], '2023-06-01')

    await get()
    assert.equal(oa.requests.length, 1, 'a listed provider is served from the cache')
    assert.equal(an.requests.length, 1)
    assert.equal(bad.requests.length, 2, 'a failure is not cached')
  } finally {
    await rt.stop()
    for (const s of [oa, an, bad]) await s.close()
  }
})
