/**
 * POST /api/workspace/sign: loopback callers and paired devices mint links; anyone else is refused;
 * bad paths and lifetimes are refused before anything is signed.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'

const REMOTE = '203.0.113.7'
let k: TestKernel

before(async () => {
  k = await startTestKernel({ plugins: ['workspace'] })
})
after(async () => {
  await k.stop()
})

const sign = (payload: unknown, opts: { remoteAddress?: string; headers?: Record<string, string> } = {}) =>
  k.inject({
    method: 'POST',
    url: '/api/workspace/sign',
    headers: { 'content-type': 'application/json', ...opts.headers },
    payload: payload as object,
    remoteAddress: opts.remoteAddress,
  })

test('loopback, or a remote caller with a bearer, gets {url}; a remote caller without one gets 401', async () => {
  const local = await sign({ path: 'reports/q1.pdf', ttl_secs: 120 })
  assert.equal(local.statusCode, 200)
  assert.deepEqual(Object.keys(local.json()), ['url'])
  assert.match(local.json().url, /^\/workspace\/reports\/q1\.pdf\?exp=\d+&sig=[0-9a-f]{64}$/)
  const exp = Number(new URL(local.json().url, 'http://x').searchParams.get('exp'))
  assert.ok(Math.abs(exp - (Math.floor(Date.now() / 1000) + 120)) <= 2)

  const remote = await sign({ path: 'reports/q1.pdf' }, { remoteAddress: REMOTE, headers: { authorization: `Bearer ${k.token}` } })
  assert.equal(remote.statusCode, 200)
  const anon = await sign({ path: 'reports/q1.pdf' }, { remoteAddress: REMOTE })
  assert.equal(anon.statusCode, 401)
  assert.equal(anon.json().code, 'unauthorized')
  // a forwarded request from a local proxy is not loopback
  const proxied = await sign({ path: 'reports/q1.pdf' }, { headers: { 'x-forwarded-for': REMOTE } })
  assert.equal(proxied.statusCode, 401)
})

test('paths that could leave the workspace, and bad lifetimes, are refused with 400', async () => {
  for (const path of ['../x', 'a/../../x', 'a\\b', 'a\u0000b', 'C:/x', 'a//b', './a']) {
    const res = await sign({ path })
    assert.equal(res.statusCode, 400, path)
    assert.equal(res.json().code, 'invalid_path')
  }
  for (const payload of [{}, { path: '' }, { path: 'a', ttl_secs: 0 }, { path: 'a', ttl_secs: 1.5 }]) {
    assert.equal((await sign(payload)).statusCode, 400, JSON.stringify(payload))
  }
  const tooLong = await sign({ path: 'a', ttl_secs: 365 * 86400 })
  assert.equal(tooLong.statusCode, 400)
  assert.equal(tooLong.json().code, 'invalid_ttl')
})
