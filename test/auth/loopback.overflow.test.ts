/**
 * Loopback by header-count overflow (issue 10, item 1). Node parses only the first 1,000 request
 * headers and silently drops the rest, so a same-host proxy that copies the client's headers and
 * then appends `X-Forwarded-For` lets a remote client push that header past the cap: the request
 * then looks local. Attacked here over real sockets with the real admin, pairing and workspace
 * plugins and the auth-probe (whose handlers count their calls).
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { probeState, totalCalls, PROBE } from '../fixtures/auth-probe/index.js'
import { rawExchange } from '../kernel/helpers/wire.js'
import { PROBE_DIR, until } from './support.js'

let shared: TestKernel | undefined
after(async () => {
  await shared?.stop()
})

async function gateway(): Promise<TestKernel> {
  shared ??= await startTestKernel({ plugins: ['pairing', 'admin', 'workspace'], paths: [PROBE_DIR], listen: true })
  return shared
}

/** `count` header lines in all, Host first, then `before`, junk, and `last` at the very end */
function overflowing(method: string, path: string, count: number, before: string[], last: string[], body = ''): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...before]
  const junk = count - 1 - before.length - last.length
  // short names: 1,000 of them stay far below Node's 16 KiB header-size limit
  for (let i = 0; i < junk; i++) lines.push(`x${i}: a`)
  lines.push(...last)
  return lines.join('\r\n') + '\r\n\r\n' + body
}

const XFF = 'X-Forwarded-For: 203.0.113.7'

function assertRefused431(res: Awaited<ReturnType<typeof rawExchange>>): void {
  assert.equal(res.status, 431, `expected 431, got ${res.status}: ${res.body.slice(0, 200)}`)
  const body = JSON.parse(res.body)
  // Node 20 parses the 1,000 headers and the kernel's first hook counts them (too_many_headers);
  // Node 24's parser stops at the server's maxHeadersCount itself (HPE_HEADER_OVERFLOW →
  // headers_too_large). Either way: 431 before any route, as the callers assert
  assert.ok(['too_many_headers', 'headers_too_large'].includes(body.code), body.code)
  assert.equal(typeof body.error, 'string')
}

test('1,000+ junk headers then X-Forwarded-For to POST /admin/paircode/new: 431, no code minted', async () => {
  const k = await gateway()
  const before = k.kernel.auth.pairing.status().code
  const res = await rawExchange(k.url!, [overflowing('POST', '/admin/paircode/new', 1001, ['Content-Length: 0', 'Connection: close'], [XFF])])
  assertRefused431(res)
  assert.equal(k.kernel.auth.pairing.status().code, before, 'a pairing code was minted')
})

test('the same overflow to the loopback probe and /api/workspace/sign: 431, handlers never ran', async () => {
  const k = await gateway()
  const s = probeState(k.stateDir)
  const calls = totalCalls(s)
  for (const count of [1001, 1030, 1200, 1000]) {
    const res = await rawExchange(k.url!, [overflowing('POST', PROBE.loopback, count, ['Content-Length: 0', 'Connection: close'], [XFF])])
    assertRefused431(res)
  }
  const body = JSON.stringify({ path: 'notes.txt' })
  const sign = await rawExchange(k.url!, [
    overflowing('POST', '/api/workspace/sign', 1001, ['Content-Type: application/json', `Content-Length: ${body.length}`, 'Connection: close'], [XFF], body),
  ])
  assertRefused431(sign)
  assert.equal(totalCalls(s), calls, 'a probe handler ran')
})

test('the overflow to POST /admin/shutdown is refused and the handler never asks for a shutdown', async () => {
  const k = await gateway()
  const asked: string[] = []
  k.kernel.onShutdownRequested = (reason) => {
    asked.push(reason)
  }
  const res = await rawExchange(k.url!, [overflowing('POST', '/admin/shutdown', 1001, ['Content-Length: 0', 'Connection: close'], [XFF])])
  assertRefused431(res)
  // control: a real local shutdown request is answered and asks once. Both would be scheduled with
  // the same delay, so had the attack reached the handler its request would have fired first
  const ok = await rawExchange(k.url!, [overflowing('POST', '/admin/shutdown', 3, ['Content-Length: 0', 'Connection: close'], [])])
  assert.equal(ok.status, 200, ok.body)
  await until(() => asked.length > 0, 2000, 'the control shutdown request')
  assert.deepEqual(asked, ['POST /admin/shutdown'])
})

test('exactly 999 headers from loopback are fine; 1,000 reach the cap and are refused', async () => {
  const k = await gateway()
  const s = probeState(k.stateDir)
  const n = s.counts.loopback
  const ok = await rawExchange(k.url!, [overflowing('GET', PROBE.loopback, 999, ['Connection: close'], [])])
  assert.equal(ok.status, 200, ok.body.slice(0, 200))
  assert.equal(JSON.parse(ok.body).isLoopback, true)
  assert.equal(s.counts.loopback, n + 1)
  assertRefused431(await rawExchange(k.url!, [overflowing('GET', PROBE.loopback, 1000, ['Connection: close'], [])]))
  assert.equal(s.counts.loopback, n + 1)
})

test('a forwarding header in any spelling, repeated or empty, makes a loopback peer non-local', async () => {
  const k = await gateway()
  const s = probeState(k.stateDir)
  const n = s.counts.loopback
  const variants = [
    ['x-forwarded-for: 203.0.113.7'],
    ['X-FORWARDED-FOR:'],
    ['X-Real-IP: 203.0.113.7', 'x-real-ip: 127.0.0.1'],
    ['Forwarded: for=203.0.113.7'],
    ['X-Forwarded-Host: evil.example'],
    ['X-Forwarded-Proto: https'],
    ['x-forwarded-for: 127.0.0.1', 'X-Forwarded-For: 203.0.113.7'],
  ]
  for (const v of variants) {
    const res = await rawExchange(k.url!, [overflowing('GET', PROBE.loopback, 2 + v.length, ['Connection: close'], v)])
    assert.equal(res.status, 403, `${v.join(' + ')}: expected 403, got ${res.status}: ${res.body.slice(0, 200)}`)
    assert.equal(JSON.parse(res.body).code, 'loopback_only')
  }
  assert.equal(s.counts.loopback, n, 'the loopback handler ran for a forwarded request')
})

test('a WebSocket upgrade with 1,000 headers is refused with 431 before it upgrades', async () => {
  const k = await gateway()
  const s = probeState(k.stateDir)
  const upgrade = [
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Protocol: revka.v1',
    `Authorization: Bearer ${k.token}`,
  ]
  // a 101 has no length: the exchange ends when the wait does (the status is read either way)
  const res = await rawExchange(k.url!, [overflowing('GET', PROBE.ws, 1001, upgrade, [XFF])], 1500)
  assertRefused431(res)
  assert.equal(s.counts.ws, 0, 'the WebSocket handler ran')
  // control: the same upgrade with a few headers opens
  const ok = await rawExchange(k.url!, [overflowing('GET', PROBE.ws, 10, upgrade, [])], 1500)
  assert.equal(ok.status, 101, ok.body.slice(0, 200))
  await until(() => s.counts.ws === 1, 2000, 'the control upgrade')
})
