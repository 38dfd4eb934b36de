/**
 * Unknown API paths answer 404 in the one JSON error shape (never an HTML page, never a 401 that
 * would suggest the path exists), and a malformed JSON body is refused 400 invalid_json before the
 * handler runs. Even bytes that are not HTTP get a JSON answer in that shape.
 */
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { cleanupTemp, fixture } from './helpers/kernel.js'
import { rawExchange } from './helpers/wire.js'

let k: TestKernel
before(async () => {
  k = await startTestKernel({ plugins: ['status', 'pairing', 'admin'], paths: [fixture('fx-wire')] })
})
after(async () => {
  try {
    await k?.stop()
  } finally {
    cleanupTemp()
  }
})

test('unknown /api, /admin and /ws paths answer 404 JSON not_found', async () => {
  const cases: Array<[string, string, Record<string, string>]> = [
    ['GET', '/api/x', {}],
    ['GET', '/api/x', { authorization: `Bearer ${k.token}` }],
    ['POST', '/api/x', {}],
    ['GET', '/admin/x', {}],
    ['POST', '/admin/x', {}],
    ['GET', '/ws/x', {}],
    ['GET', '/ws/x', { connection: 'upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }],
  ]
  for (const [method, url, headers] of cases) {
    const res = await k.inject({ method, url, headers })
    const what = `${method} ${url} ${Object.keys(headers).join(',')}`
    assert.equal(res.statusCode, 404, what)
    assert.match(String(res.headers['content-type']), /^application\/json/, what)
    const body = res.json()
    assert.equal(body.code, 'not_found', what)
    assert.equal(typeof body.error, 'string', what)
    assert.ok(body.error.includes(url), `${what}: ${body.error}`)
  }
  // the known neighbours of those prefixes still answer
  assert.equal((await k.inject({ url: '/api/status', headers: { authorization: `Bearer ${k.token}` } })).statusCode, 200)
})

test('malformed JSON to a JSON route is 400 invalid_json and the handler never runs', async () => {
  const bad = await k.inject({ method: 'POST', url: '/fx/json', headers: { 'content-type': 'application/json' }, payload: '{"oops": ' })
  assert.equal(bad.statusCode, 400)
  assert.equal(bad.json().code, 'invalid_json')
  assert.equal(typeof bad.json().error, 'string')
  assert.equal((await k.inject({ url: '/fx/stats' })).json().json, 0)

  // a prototype-pollution payload is refused the same way
  const proto = await k.inject({ method: 'POST', url: '/fx/json', headers: { 'content-type': 'application/json' }, payload: '{"__proto__": {"admin": true}}' })
  assert.equal(proto.statusCode, 400)
  assert.equal(proto.json().code, 'invalid_json')

  const good = await k.inject({ method: 'POST', url: '/fx/json', headers: { 'content-type': 'application/json' }, payload: '{"hello": "world"}' })
  assert.equal(good.statusCode, 200)
  assert.deepEqual(good.json(), { got: { hello: 'world' } })
  assert.equal((await k.inject({ url: '/fx/stats' })).json().json, 1)
})

test('a request that is not HTTP at all gets 400 bad_request in the same error shape', async () => {
  const res = await rawExchange(k.url!, ['NOT AN HTTP REQUEST\r\n\r\n'], 3000)
  assert.equal(res.status, 400, res.body)
  assert.match(res.headers['content-type'] ?? '', /^application\/json/)
  assert.deepEqual(JSON.parse(res.body), { error: 'Malformed HTTP request', code: 'bad_request' })
  assert.equal(res.closed, true)
})
