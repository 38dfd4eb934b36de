/**
 * Revocation is real, on live connections too: revoking or rotating a device ends the WebSockets
 * (close 4401) and SSE streams its token opened, at once, and leaves every other device's
 * connections alone. Real sockets throughout: this is wire behaviour.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { probeState } from '../fixtures/auth-probe/index.js'
import { bearer, closed, PROBE_DIR, sseOpen, until, within, wsConnect, wsUrl, type WsOutcome } from './support.js'

function open(o: WsOutcome) {
  assert.equal(o.kind, 'open', o.kind === 'refused' ? `refused ${o.status}: ${o.body}` : '')
  return o as Extract<WsOutcome, { kind: 'open' }>
}

async function liveConnections(k: TestKernel, token: string) {
  const url = k.url!
  const ws = open(await wsConnect(wsUrl(url, '/probe/ws'), { protocols: ['revka.v1'], headers: bearer(token) }))
  const sse = await sseOpen(`${url}/probe/events`, bearer(token))
  assert.equal(sse.status, 200)
  assert.match(String(sse.headers['content-type']), /text\/event-stream/)
  const sseQuery = await sseOpen(`${url}/probe/events?token=${token}`)
  assert.equal(sseQuery.status, 200)
  return { ws, sse, sseQuery }
}

async function echo(ws: Extract<WsOutcome, { kind: 'open' }>['ws'], text: string): Promise<string> {
  const reply = new Promise<string>((res) => ws.once('message', (d) => res(JSON.parse(d.toString()).text)))
  ws.send(text)
  return within(reply, 2000, 'an echo from a socket that should still be open')
}

async function assertDead(k: TestKernel, token: string): Promise<void> {
  const url = k.url!
  const rest = await fetch(`${url}/probe/bearer`, { headers: bearer(token) })
  assert.equal(rest.status, 401, 'a revoked token still works on REST')
  const ws = await wsConnect(wsUrl(url, '/probe/ws'), { protocols: ['revka.v1'], headers: bearer(token) })
  assert.equal(ws.kind, 'refused', 'a revoked token still opens a WebSocket')
  assert.equal((ws as any).status, 401)
  const sse = await sseOpen(`${url}/probe/events?token=${token}`)
  assert.equal(sse.status, 401, 'a revoked token still opens an SSE stream')
}

test("DELETE /api/devices/{id} closes that device's WebSocket (4401) and SSE streams at once", async () => {
  const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR] })
  const sockets: Array<{ close(): void }> = []
  try {
    const probe = probeState(k.stateDir)
    const victim = k.pairDevice('victim')
    const keeper = k.pairDevice('keeper')
    const v = await liveConnections(k, victim.token)
    const other = await liveConnections(k, keeper.token)
    sockets.push(v.ws.ws, other.ws.ws, v.sse, v.sseQuery, other.sse, other.sseQuery)
    assert.equal(v.ws.hello.deviceId, victim.deviceId)
    assert.equal(v.ws.protocol, 'revka.v1')
    await until(() => probe.wsOpen === 2 && probe.sseOpen === 4, 2000, 'all streams open')

    const wsClose = closed(v.ws.ws)
    const res = await fetch(`${k.url}/api/devices/${victim.deviceId}`, { method: 'DELETE', headers: bearer(keeper.token) })
    assert.equal(res.status, 200, await res.text())

    const c = await within(wsClose, 2000, 'the revoked WebSocket to close')
    assert.equal(c.code, 4401)
    const tail = await within(v.sse.ended, 2000, 'the revoked SSE stream to end')
    assert.match(tail, /token_revoked/)
    await within(v.sseQuery.ended, 2000, 'the revoked query-token SSE stream to end')
    await until(() => probe.wsOpen === 1 && probe.sseOpen === 2, 2000, 'plugin-side connections to drop')

    // the other device is untouched
    assert.equal(await echo(other.ws.ws, 'still here'), 'still here')
    assert.equal(k.kernel.auth.connections.count(), 3)
    await assertDead(k, victim.token)
    assert.equal((await fetch(`${k.url}/probe/bearer`, { headers: bearer(keeper.token) })).status, 200)
    assert.ok(!k.kernel.auth.pairing.listDevices().some((d) => d.id === victim.deviceId))

    // the dead token cannot strike back, and unknown ids are a 404 that changes nothing
    const before = probe.counts.ws + probe.counts.events
    const back = await fetch(`${k.url}/api/devices/${keeper.deviceId}`, { method: 'DELETE', headers: bearer(victim.token) })
    assert.equal(back.status, 401)
    assert.equal((await fetch(`${k.url}/api/devices/${victim.deviceId}`, { method: 'DELETE', headers: bearer(keeper.token) })).status, 404)
    assert.ok(k.kernel.auth.pairing.listDevices().some((d) => d.id === keeper.deviceId))
    assert.equal(probe.counts.ws + probe.counts.events, before)
  } finally {
    for (const s of sockets) s.close()
    await k.stop()
  }
})

test("POST /api/devices/{id}/token/rotate ends the old token's connections; the new token works", async () => {
  const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR] })
  const sockets: Array<{ close(): void }> = []
  try {
    const device = k.pairDevice('rotating')
    const admin = k.pairDevice('admin')
    const v = await liveConnections(k, device.token)
    const other = await liveConnections(k, admin.token)
    sockets.push(v.ws.ws, other.ws.ws, v.sse, v.sseQuery, other.sse, other.sseQuery)

    const wsClose = closed(v.ws.ws)
    const res = await fetch(`${k.url}/api/devices/${device.deviceId}/token/rotate`, { method: 'POST', headers: bearer(admin.token) })
    assert.equal(res.status, 200)
    const rotated = (await res.json()) as { pairing_code: string; device_id: string; token?: string }
    assert.equal(rotated.device_id, device.deviceId)
    assert.equal(rotated.token, undefined, "the caller of rotate never sees the device's new token")
    // the device pairs again with the code it was given: same device id, new token
    const paired = await fetch(`${k.url}/api/pair`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: rotated.pairing_code }),
    })
    const body = (await paired.json()) as { token: string; device_id: string }
    assert.equal(body.device_id, device.deviceId)
    assert.match(body.token, /^rk_[0-9a-f]{64}$/)
    assert.notEqual(body.token, device.token)

    assert.equal((await within(wsClose, 2000, 'the rotated WebSocket to close')).code, 4401)
    assert.match(await within(v.sse.ended, 2000, 'the rotated SSE stream to end'), /token_revoked/)
    await within(v.sseQuery.ended, 2000, 'the rotated query-token SSE stream to end')
    assert.equal(await echo(other.ws.ws, 'unaffected'), 'unaffected')
    await assertDead(k, device.token)

    // same device, new credential: REST, WebSocket and SSE all accept it
    assert.equal((await fetch(`${k.url}/probe/bearer`, { headers: bearer(body.token) })).status, 200)
    const fresh = open(await wsConnect(wsUrl(k.url!, '/probe/ws'), { protocols: ['revka.v1'], headers: bearer(body.token) }))
    sockets.push(fresh.ws)
    assert.equal(fresh.hello.deviceId, device.deviceId)
    const freshSse = await sseOpen(`${k.url}/probe/events?token=${body.token}`)
    sockets.push(freshSse)
    assert.equal(freshSse.status, 200)
    assert.ok(
      k.kernel.auth.pairing.listDevices().some((d) => d.id === device.deviceId),
      'rotation removed the device',
    )

    // and rotating again kills the connections the new token opened
    const freshClose = closed(fresh.ws)
    assert.ok(k.kernel.auth.pairing.rotate(device.deviceId))
    assert.equal((await within(freshClose, 2000, 'the second rotation to close the socket')).code, 4401)
    await within(freshSse.ended, 2000, 'the second rotation to end the stream')
  } finally {
    for (const s of sockets) s.close()
    await k.stop()
  }
})
