/**
 * Parser hardening (issue 10, item 11), attacked over real sockets:
 * - a path that spells a route with percent-encoded unreserved characters (`/%61pi/status`), an
 *   encoded separator (`%2F`, `%5C`) or a double encoding (`%2561`) is refused with 400 before
 *   routing, so the gateway and a front proxy's path rules always see the same path;
 * - duplicate `Host` headers are refused with 400;
 * - malformed HTTP (a broken chunked body) is answered 400 without an error-level stack trace per
 *   request, and client errors are logged at debug level under a rate limit.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { probeState, totalCalls, PROBE } from '../fixtures/auth-probe/index.js'
import { PROBE_DIR, wsConnect, wsUrl } from '../auth/support.js'
import { cleanupTemp, fixture, makeKernel } from './helpers/kernel.js'
import { head, rawExchange } from './helpers/wire.js'

after(cleanupTemp)

let shared: TestKernel | undefined
after(async () => {
  await shared?.stop()
})

async function gateway(): Promise<TestKernel> {
  shared ??= await startTestKernel({ plugins: ['status', 'pairing'], paths: [PROBE_DIR], listen: true })
  return shared
}

async function send(k: TestKernel, method: string, path: string, headers: Record<string, string> = {}) {
  const res = await rawExchange(k.url!, [head(method, path, { ...headers, Connection: 'close' })])
  // the wire helper reads latin1; answers are UTF-8 JSON
  const body = Buffer.from(res.body, 'latin1').toString('utf8')
  return { status: res.status, body, json: () => JSON.parse(body) }
}

function assertBadUrl(res: { status: number | null; body: string }, what: string): void {
  assert.equal(res.status, 400, `${what}: expected 400, got ${res.status}: ${res.body.slice(0, 200)}`)
  const body = JSON.parse(res.body)
  assert.equal(body.code, 'bad_url', what)
  assert.equal(typeof body.error, 'string')
}

test('/%61pi/status and other encoded unreserved spellings of a route are refused before routing', async () => {
  const k = await gateway()
  const auth = { Authorization: `Bearer ${k.token}` }
  // controls: the plain spellings work
  assert.equal((await send(k, 'GET', '/api/status', auth)).status, 200)
  assert.equal((await send(k, 'GET', PROBE.public)).status, 200)
  const s = probeState(k.stateDir)
  const calls = totalCalls(s)
  assertBadUrl(await send(k, 'GET', '/%61pi/status'), '/%61pi/status without a token')
  assertBadUrl(await send(k, 'GET', '/%61pi/status', auth), '/%61pi/status with a token')
  assertBadUrl(await send(k, 'GET', '/%61dmin/paircode'), '/%61dmin/paircode')
  assertBadUrl(await send(k, 'POST', '/%61dmin/paircode/new', { 'Content-Length': '0' }), '/%61dmin/paircode/new')
  for (const p of [
    '/%70robe/public',
    '/probe/%70ublic',
    '/probe/publi%63',
    '/probe/loopbac%6B',
    '/probe%2Dx',
    `${PROBE.item}a%2Eb`,
    `${PROBE.item}a%5fb`,
    `${PROBE.item}a%7eb`,
    `${PROBE.item}%30`,
  ]) {
    assertBadUrl(await send(k, p.startsWith(PROBE.item) ? 'DELETE' : 'GET', p, auth), p)
  }
  assert.equal(totalCalls(s), calls, 'a probe handler ran for an encoded spelling')
})

test('encoded separators (%2F, %2f, %5C, %5c) and double encodings in the path are refused', async () => {
  const k = await gateway()
  const auth = { Authorization: `Bearer ${k.token}` }
  const s = probeState(k.stateDir)
  const calls = totalCalls(s)
  for (const p of [
    `${PROBE.item}a%2Fb`,
    `${PROBE.item}a%2fb`,
    `${PROBE.item}a%5Cb`,
    `${PROBE.item}a%5cb`,
    `${PROBE.item}a%252Fb`,
    `${PROBE.item}%2561`,
    '/%2561pi/status',
  ]) {
    assertBadUrl(await send(k, p.startsWith(PROBE.item) ? 'DELETE' : 'GET', p, auth), p)
  }
  assert.equal(totalCalls(s), calls, 'a probe handler ran')
})

test('legitimate encodings still route: non-ASCII, spaces, a literal %, and the query string is not the path', async () => {
  const k = await gateway()
  const auth = { Authorization: `Bearer ${k.token}` }
  const cases: Array<[string, string]> = [
    ['caf%C3%A9', 'café'],
    ['a%20b', 'a b'],
    ['100%25.txt', '100%.txt'],
    ['a%3Ab', 'a:b'],
  ]
  for (const [enc, id] of cases) {
    const r = await send(k, 'DELETE', `${PROBE.item}${enc}`, auth)
    assert.equal(r.status, 200, `${enc}: ${r.body}`)
    assert.equal(r.json().id, id)
  }
  const q = await send(k, 'GET', `${PROBE.public}?x=%61%2F%2561`)
  assert.equal(q.status, 200, q.body)
})

test('a WebSocket upgrade to an encoded spelling is refused with 400 and never upgrades', async () => {
  const k = await gateway()
  const s = probeState(k.stateDir)
  const r = await wsConnect(wsUrl(k.url!, '/%70robe/ws'), { protocols: ['revka.v1', `bearer.${k.token}`] })
  if (r.kind === 'open') r.ws.close()
  assert.equal(r.kind, 'refused')
  if (r.kind === 'refused') assertBadUrl(r, '/%70robe/ws')
  assert.equal(s.counts.ws, 0)
})

test('duplicate Host headers are refused with 400 before any handler', async () => {
  const k = await gateway()
  const s = probeState(k.stateDir)
  const calls = totalCalls(s)
  for (const second of ['Host: evil.example', 'host: 127.0.0.1', 'HOST:']) {
    const res = await rawExchange(k.url!, [`GET ${PROBE.public} HTTP/1.1\r\nHost: 127.0.0.1\r\n${second}\r\nConnection: close\r\n\r\n`])
    assert.equal(res.status, 400, `${second}: expected 400, got ${res.status}: ${res.body.slice(0, 200)}`)
    assert.equal(JSON.parse(res.body).code, 'duplicate_host')
  }
  assert.equal(totalCalls(s), calls, 'the public probe ran for a request with two Host headers')
  // control: one Host is fine
  assert.equal((await send(k, 'GET', PROBE.public)).status, 200)
})

test('200 malformed chunked bodies: each gets 400, no error-level line or stack, a bounded number of debug lines', async () => {
  const k = makeKernel({ logLevel: 'debug', builtinDir: null, extraPaths: [fixture('fx-wire')], only: ['fx-wire'] })
  try {
    await k.start()
    const broken = [
      head('POST', '/fx/size', { 'Content-Type': 'application/octet-stream', 'Transfer-Encoding': 'chunked', Connection: 'close' }),
      'zz\r\nabc\r\n0\r\n\r\n',
    ]
    const garbage = ['GET /fx/stats HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n']
    for (let i = 0; i < 200; i++) {
      const r = await rawExchange(k.url, i % 2 ? garbage : broken)
      assert.equal(r.status, 400, r.body)
      assert.equal(JSON.parse(r.body).code, 'bad_request')
    }
  } finally {
    await k.stop()
  }
  const lines = readFileSync(join(k.paths.logsDir, 'gateway.log'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
  const loud = lines.filter((l) => l.level !== 'debug' && l.level !== 'info')
  assert.deepEqual(
    loud.map((l) => `${l.level}: ${l.msg}`),
    [],
    'client errors were logged above debug',
  )
  assert.ok(!lines.some((l) => JSON.stringify(l).includes('"stack"')), 'a stack trace was logged for a client error')
  const clientLines = lines.filter((l) => /client/i.test(l.msg ?? ''))
  assert.ok(clientLines.length >= 1, 'client errors are not logged at all (debug)')
  assert.ok(clientLines.length <= 25, `${clientLines.length} log lines for 200 malformed requests`)
  assert.ok(
    clientLines.some((l) => /suppressing/.test(l.msg)),
    'no line saying that further client errors are suppressed',
  )
  // the count of what was left out is logged when the window ends (here: at stop)
  assert.ok(
    clientLines.some((l) => l.suppressed >= 100),
    'no "suppressed N" summary line',
  )
})
