/**
 * Pairing off (`require_pairing = false`): bearer routes open without a token — and only bearer
 * routes: service, loopback and signed surfaces stay shut. Because that hands the gateway to anyone
 * who can reach it, a non-loopback bind with pairing off refuses to start (REVKA_ERR_UNSAFE_BIND).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { startTestKernel } from '@revka/plugin-testing'
import { probeState } from '../fixtures/auth-probe/index.js'
import { PROBE_DIR, REMOTE, removeDir, sseOpen, tempStateDir, wsConnect, wsUrl } from './support.js'

const OFF = '[gateway]\nrequire_pairing = false\n'

test('pairing off: bearer routes (REST, WebSocket, SSE) pass without a token', async () => {
  const k = await startTestKernel({ plugins: ['pairing', 'status'], paths: [PROBE_DIR], config: OFF })
  try {
    assert.equal(k.token, null)
    const rest = await k.inject({ url: '/probe/bearer', remoteAddress: REMOTE })
    assert.equal(rest.statusCode, 200)
    assert.equal(rest.json().via, 'pairing-off')
    assert.equal((await k.inject({ method: 'DELETE', url: '/probe/items/7', remoteAddress: REMOTE })).json().id, '7')
    // the any-of route opens through its bearer half
    assert.equal((await k.inject({ url: '/probe/loopback-or-bearer', remoteAddress: REMOTE })).statusCode, 200)

    const ws = await wsConnect(wsUrl(k.url!, '/probe/ws'), { protocols: ['revka.v1'] })
    assert.equal(ws.kind, 'open')
    if (ws.kind === 'open') {
      assert.equal(ws.hello.via, 'pairing-off')
      ws.ws.close()
    }
    const sse = await sseOpen(`${k.url}/probe/events`)
    assert.equal(sse.status, 200)
    sse.close()

    const health = await k.inject({ url: '/health', remoteAddress: REMOTE })
    assert.equal(health.statusCode, 200)
    assert.equal(health.json().require_pairing, false)
    assert.equal(health.json().paired, false)
  } finally {
    await k.stop()
  }
})

test('pairing off opens nothing but bearer: service, loopback, signed and pairing stay shut', async () => {
  const k = await startTestKernel({ plugins: ['pairing', 'status'], paths: [PROBE_DIR], config: OFF })
  try {
    const probe = probeState(k.stateDir)
    const service = await k.inject({ url: '/probe/service', remoteAddress: REMOTE })
    assert.equal(service.statusCode, 401, 'pairing off opened a service route')
    assert.equal((await k.inject({ url: '/probe/loopback', remoteAddress: REMOTE })).statusCode, 403)
    assert.equal((await k.inject({ url: '/probe/loopback', headers: { 'x-forwarded-for': '127.0.0.1' } })).statusCode, 403)
    assert.equal((await k.inject({ url: '/probe/signed/a.txt', remoteAddress: REMOTE })).statusCode, 403)
    assert.equal(probe.counts.service + probe.counts.loopback + probe.counts.signed, 0)

    // no codes, no devices, no registry on disk
    assert.equal((await k.inject({ method: 'POST', url: '/pair', headers: { 'x-pairing-code': '000000' }, remoteAddress: REMOTE })).statusCode, 403)
    assert.equal((await k.inject({ method: 'POST', url: '/api/pair', payload: { code: '000000' }, remoteAddress: REMOTE })).statusCode, 403)
    const mint = await k.inject({ method: 'POST', url: '/admin/paircode/new' })
    assert.equal(mint.statusCode, 400)
    assert.equal(mint.json().pairing_code, null)
    assert.equal((await k.inject({ method: 'POST', url: '/api/pairing/initiate', remoteAddress: REMOTE })).statusCode, 503)
    assert.equal((await k.inject({ url: '/pair/code' })).json().pairing_code, null)
    assert.equal(existsSync(join(k.stateDir, 'kernel', 'devices.db')), false)
    assert.equal(existsSync(join(k.stateDir, 'workspace', 'devices.db')), false)
  } finally {
    await k.stop()
  }
})

test('REVKA_REQUIRE_PAIRING=false turns pairing off too', async () => {
  const k = await startTestKernel({ plugins: ['status'], paths: [PROBE_DIR], env: { REVKA_REQUIRE_PAIRING: 'false' } })
  try {
    assert.equal((await k.inject({ url: '/probe/bearer', remoteAddress: REMOTE })).statusCode, 200)
    assert.equal((await k.inject({ url: '/health' })).json().require_pairing, false)
  } finally {
    await k.stop()
  }
})

test('pairing off on a non-loopback host refuses to start (REVKA_ERR_UNSAFE_BIND)', async () => {
  const cases: Array<{ config: string; env?: Record<string, string> }> = [
    { config: OFF, env: { REVKA_GATEWAY_HOST: '0.0.0.0' } },
    { config: OFF, env: { REVKA_GATEWAY_HOST: '::' } },
    { config: '[gateway]\nhost = "0.0.0.0"\nrequire_pairing = false\n' },
    { config: '[gateway]\nhost = "0.0.0.0"\n', env: { REVKA_REQUIRE_PAIRING: '0' } },
  ]
  for (const c of cases) {
    const stateDir = tempStateDir()
    try {
      await assert.rejects(
        startTestKernel({ plugins: ['pairing', 'status'], paths: [PROBE_DIR], stateDir, config: c.config, env: c.env }),
        (e: Error) => /REVKA_ERR_UNSAFE_BIND/.test(e.message),
        `started with ${JSON.stringify(c)}`,
      )
    } finally {
      removeDir(stateDir)
    }
  }
  // control: the same host with pairing on starts, so the refusal is about pairing, not the host
  const k = await startTestKernel({ plugins: ['pairing', 'status'], paths: [PROBE_DIR], env: { REVKA_GATEWAY_HOST: '0.0.0.0' } })
  try {
    assert.equal((await k.inject({ url: '/probe/bearer', remoteAddress: REMOTE })).statusCode, 401)
  } finally {
    await k.stop()
  }
})
