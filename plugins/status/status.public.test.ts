/**
 * `GET /api/status` without credentials (contract §6; issue 21): the public trimmed answer
 * `{uptime_seconds, paired, health}` — was 401 — with the health snapshot's errors reduced to codes
 * off loopback, as on `/health`. A credential that is presented is still checked: a wrong or
 * revoked one is 401 (the dashboard drops its token on 401, as it should then), a valid one gets the
 * full document.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'

const REMOTE = '203.0.113.20'
let k: TestKernel
before(async () => {
  k = await startTestKernel({ plugins: ['status', 'pairing'] })
})
after(async () => {
  await k.stop()
})

test('no credential: 200 with exactly {uptime_seconds, paired, health}', async () => {
  const res = await k.inject({ url: '/api/status', remoteAddress: REMOTE })
  assert.equal(res.statusCode, 200, res.body)
  const body = res.json()
  assert.deepEqual(Object.keys(body).sort(), ['health', 'paired', 'uptime_seconds'])
  assert.equal(body.paired, true)
  assert.equal(typeof body.uptime_seconds, 'number')
  assert.equal(typeof body.health.pid, 'number')
  assert.equal(body.health.components.gateway.status, 'ok')
})

test('a valid bearer or service token gets the full document', async () => {
  for (const headers of [{ authorization: `Bearer ${k.token}` }, { 'x-revka-service-token': k.serviceToken }] as Record<string, string>[]) {
    const body = (await k.inject({ url: '/api/status', headers, remoteAddress: REMOTE })).json()
    assert.ok(('gateway_port' in body && 'plugins' in body) || 'provider' in body, JSON.stringify(Object.keys(body)))
    assert.ok(Object.keys(body).length > 3)
  }
})

test('a wrong or revoked credential is still 401, not the public answer', async () => {
  const dead = k.pairDevice('dead')
  assert.ok(k.kernel.auth.pairing.revoke(dead.deviceId))
  for (const headers of [
    { authorization: 'Bearer rk_' + '0'.repeat(64) },
    { authorization: `Bearer ${dead.token}` },
    { 'x-revka-service-token': 'wrong' },
  ] as Record<string, string>[]) {
    const res = await k.inject({ url: '/api/status', headers, remoteAddress: REMOTE })
    assert.equal(res.statusCode, 401)
    assert.equal(res.json().code, 'unauthorized')
  }
})
