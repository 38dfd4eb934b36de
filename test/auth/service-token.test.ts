/**
 * The service token: `<state>/service-token`, 64 hex, mode 0600, minted once and reused. It is a
 * REST credential for `service` routes (and for `bearer` REST routes, as the reference allows); a
 * bearer never satisfies `service`, and the service token never opens a WebSocket or a query-token
 * stream.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startTestKernel } from '@revka/plugin-testing'
import { probeState, totalCalls } from '../fixtures/auth-probe/index.js'
import { bearer, PROBE_DIR, REMOTE, removeDir, sseOpen, tempStateDir, wsConnect, wsUrl } from './support.js'

test('service-token is 64 hex, mode 0600, and reused across restarts', async () => {
  const stateDir = tempStateDir()
  try {
    const file = join(stateDir, 'service-token')
    const k1 = await startTestKernel({ plugins: ['pairing'], stateDir, pair: false })
    const first = k1.serviceToken
    await k1.stop()
    assert.match(readFileSync(file, 'utf8').trim(), /^[0-9a-f]{64}$/)
    assert.equal(readFileSync(file, 'utf8').trim(), first)
    assert.equal(statSync(file).mode & 0o777, 0o600)

    // someone loosened it: the next start tightens it and keeps the value
    chmodSync(file, 0o644)
    const k2 = await startTestKernel({ plugins: ['pairing'], stateDir, pair: false })
    try {
      assert.equal(k2.serviceToken, first)
      assert.equal(statSync(file).mode & 0o777, 0o600)
    } finally {
      await k2.stop()
    }

    // a corrupted file is refused, never silently replaced by a value nobody else knows
    writeFileSync(file, 'not-a-token\n', { mode: 0o600 })
    await assert.rejects(startTestKernel({ plugins: ['pairing'], stateDir, pair: false }), /REVKA_ERR_SERVICE_TOKEN/)
  } finally {
    removeDir(stateDir)
  }
})

test('a bearer never satisfies a service route; the service token does', async () => {
  const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR] })
  try {
    const probe = probeState(k.stateDir)
    const attempts: Array<Record<string, string>> = [
      bearer(k.token!),
      { 'x-revka-service-token': k.token! },
      { ...bearer(k.token!), 'x-revka-service-token': k.token! },
      { 'x-revka-service-token': k.serviceToken.slice(0, 63) },
      { 'x-revka-service-token': k.serviceToken.toUpperCase() },
      { 'x-revka-service-token': `${k.serviceToken} ` + 'x' },
    ]
    for (const [i, headers] of attempts.entries()) {
      for (const method of ['GET', 'POST']) {
        const res = await k.inject({ method, url: '/probe/service', headers, remoteAddress: `198.51.100.${i + 1}` })
        assert.equal(res.statusCode, 401, `${method} attempt ${i}: ${res.body}`)
        assert.equal(res.json().code, 'unauthorized')
      }
    }
    assert.equal(probe.counts.service, 0, 'the service handler ran for a non-service credential')

    const ok = await k.inject({ url: '/probe/service', headers: { 'x-revka-service-token': k.serviceToken }, remoteAddress: REMOTE })
    assert.equal(ok.statusCode, 200)
    assert.equal(ok.json().via, 'service')
    // bearer REST routes accept the service token too (reference-compatible) ...
    const rest = await k.inject({ url: '/probe/bearer', headers: { 'x-revka-service-token': k.serviceToken }, remoteAddress: REMOTE })
    assert.equal(rest.statusCode, 200)
    assert.equal(rest.json().via, 'service')
    // ... but it is not a bearer token
    assert.equal((await k.inject({ url: '/probe/bearer', headers: bearer(k.serviceToken), remoteAddress: '198.51.100.50' })).statusCode, 401)
    assert.equal(probe.counts.service, 1)
  } finally {
    await k.stop()
  }
})

test('the service token does not open WebSockets or query-token SSE streams', async () => {
  const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR] })
  try {
    const probe = probeState(k.stateDir)
    const url = wsUrl(k.url!, '/probe/ws')
    const tries = [
      { protocols: ['revka.v1'], headers: { 'x-revka-service-token': k.serviceToken } },
      { protocols: ['revka.v1'], headers: bearer(k.serviceToken) },
      { protocols: ['revka.v1', `bearer.${k.serviceToken}`] },
    ]
    for (const [i, o] of tries.entries()) {
      const res = await wsConnect(url, o)
      assert.equal(res.kind, 'refused', `try ${i} opened a WebSocket with the service token`)
      if (res.kind === 'refused') assert.equal(res.status, 401, `try ${i}: ${res.body}`)
    }
    const q = await wsConnect(`${url}?token=${k.serviceToken}`, { protocols: ['revka.v1'] })
    assert.equal(q.kind, 'refused')

    const sse = await sseOpen(`${k.url}/probe/events`, { 'x-revka-service-token': k.serviceToken })
    assert.equal(sse.status, 401, 'an SSE stream accepted the service token')
    const sseQ = await sseOpen(`${k.url}/probe/events?token=${k.serviceToken}`)
    assert.equal(sseQ.status, 401)

    assert.equal(totalCalls(probe), 0)
    assert.equal(k.kernel.auth.connections.count(), 0)
  } finally {
    await k.stop()
  }
})
