/**
 * The WebSocket handshake, over real sockets: Origin is checked before auth (cross-site → 403 even
 * with a valid token); the route's subprotocol must be offered; the token may come from the
 * Authorization header, a `bearer.<t>` subprotocol entry or `?token=`, and the selected subprotocol
 * is always `revka.v1`, never the entry carrying the token. `?token=` is for upgrades and SSE only.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel } from '@revka/plugin-testing'
import { probeState } from '../fixtures/auth-probe/index.js'
import { bearer, forgedToken, PROBE_DIR, REMOTE, sseOpen, wsConnect, wsUrl, type WsOutcome } from './support.js'

function refused(o: WsOutcome, status: number, what: string): void {
  if (o.kind === 'open') {
    o.ws.close()
    assert.fail(`${what}: the upgrade succeeded`)
  }
  assert.equal(o.status, status, `${what}: ${o.body}`)
  const body = JSON.parse(o.body)
  assert.equal(typeof body.code, 'string')
}

function opened(o: WsOutcome, what: string) {
  if (o.kind === 'refused') assert.fail(`${what}: refused ${o.status} ${o.body}`)
  return o
}

test('cross-site Origin is refused before auth, even with a valid token', async () => {
  const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR] })
  try {
    const probe = probeState(k.stateDir)
    const url = wsUrl(k.url!, '/probe/ws')
    for (const origin of [
      'https://evil.example',
      'null',
      'http://127.0.0.1.evil.example',
      'http://localhost.evil.example',
      'file://',
      'chrome-extension://abc',
    ]) {
      refused(await wsConnect(url, { protocols: ['revka.v1'], headers: bearer(k.token!), origin }), 403, `valid token from ${origin}`)
      // no token: still 403 (origin first), not 401
      const anon = await wsConnect(url, { protocols: ['revka.v1'], origin })
      refused(anon, 403, `no token from ${origin}`)
      if (anon.kind === 'refused') assert.equal(JSON.parse(anon.body).code, 'forbidden_origin')
    }
    assert.equal(probe.counts.ws, 0)

    // allowed: no Origin, the gateway's own origin, and loopback origins
    const host = new URL(k.url!).host
    for (const origin of [undefined, `http://${host}`, 'http://localhost:5173', 'http://127.0.0.1:3000']) {
      const o = opened(await wsConnect(url, { protocols: ['revka.v1'], headers: bearer(k.token!), origin }), `origin ${origin}`)
      o.ws.close()
    }
    assert.equal(probe.counts.ws, 4)
  } finally {
    await k.stop()
  }
})

test('[gateway] allowed_origins admits exactly the listed origins', async () => {
  const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR], config: '[gateway]\nallowed_origins = ["https://app.example"]\n' })
  try {
    const url = wsUrl(k.url!, '/probe/ws')
    opened(await wsConnect(url, { protocols: ['revka.v1'], headers: bearer(k.token!), origin: 'https://app.example' }), 'listed origin').ws.close()
    for (const origin of ['https://app.example.evil', 'http://app.example', 'https://evil.app.example']) {
      refused(await wsConnect(url, { protocols: ['revka.v1'], headers: bearer(k.token!), origin }), 403, origin)
    }
  } finally {
    await k.stop()
  }
})

test('an offer without the route subprotocol is refused; no offer at all is accepted with none selected (contract §3)', async () => {
  const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR] })
  try {
    const probe = probeState(k.stateDir)
    const url = wsUrl(k.url!, '/probe/ws')
    refused(await wsConnect(url, { protocols: [`bearer.${k.token}`] }), 400, 'only the bearer entry')
    refused(await wsConnect(url, { protocols: ['revka.v2'], headers: bearer(k.token!) }), 400, 'another subprotocol')
    refused(await wsConnect(url, { protocols: ['revka.v1x'], headers: bearer(k.token!) }), 400, 'a look-alike')
    // a plain GET on a WebSocket route is not an upgrade
    const plain = await k.inject({ url: '/probe/ws', headers: bearer(k.token!) })
    assert.equal(plain.statusCode, 426)
    assert.equal(probe.counts.ws, 0)
    // the reference dashboard's terminal: no subprotocol, the token in the query → accepted, none selected
    const none = opened(await wsConnect(`${url}?token=${k.token}`, {}), 'no subprotocol, query token')
    assert.equal(none.ws.protocol, '')
    none.ws.close()
    // auth still applies to such an upgrade
    refused(await wsConnect(`${url}?token=wrong`, {}), 401, 'no subprotocol, bad token')
    refused(await wsConnect(url, { origin: 'https://evil.example' }), 403, 'no subprotocol, cross-site')
  } finally {
    await k.stop()
  }
})

test('tokens from the header, a bearer.<t> entry or ?token= are accepted; revka.v1 is selected', async () => {
  const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR] })
  try {
    const url = wsUrl(k.url!, '/probe/ws')
    const t = k.token!
    const ways: Array<[string, Parameters<typeof wsConnect>]> = [
      ['header', [url, { protocols: ['revka.v1'], headers: bearer(t) }]],
      ['subprotocol entry', [url, { protocols: ['revka.v1', `bearer.${t}`] }]],
      ['subprotocol entry first', [url, { protocols: [`bearer.${t}`, 'revka.v1'] }]],
      ['query', [`${url}?token=${t}`, { protocols: ['revka.v1'] }]],
    ]
    for (const [what, args] of ways) {
      const o = opened(await wsConnect(...args), what)
      assert.equal(o.protocol, 'revka.v1', `${what}: selected ${o.protocol}`)
      assert.equal(o.hello.protocol, 'revka.v1')
      assert.equal(o.hello.via, 'bearer')
      o.ws.close()
    }
    assert.equal(probeState(k.stateDir).counts.ws, ways.length)

    // bad tokens in each position are refused, and a bad first token is not rescued by a later good one
    const bad = forgedToken()
    refused(await wsConnect(url, { protocols: ['revka.v1', `bearer.${bad}`] }), 401, 'bad subprotocol token')
    refused(await wsConnect(`${url}?token=${bad}`, { protocols: ['revka.v1'] }), 401, 'bad query token')
    refused(await wsConnect(`${url}?token=${t}`, { protocols: ['revka.v1'], headers: bearer(bad) }), 401, 'bad header, good query')
    refused(await wsConnect(url, { protocols: ['revka.v1'] }), 401, 'no token')
    assert.equal(probeState(k.stateDir).counts.ws, ways.length)
  } finally {
    await k.stop()
  }
})

test('?token= is not accepted on ordinary HTTP routes, only on SSE and upgrades', async () => {
  const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR] })
  try {
    const probe = probeState(k.stateDir)
    for (const [method, url] of [
      ['GET', '/probe/bearer'],
      ['POST', '/probe/bearer'],
      ['HEAD', '/probe/bearer'],
      ['DELETE', '/probe/items/1'],
      ['GET', '/probe/loopback-or-bearer'],
      ['GET', '/api/devices'],
    ]) {
      const res = await k.inject({ method, url: `${url}?token=${k.token}`, remoteAddress: REMOTE })
      assert.equal(res.statusCode, 401, `${method} ${url}?token= was accepted`)
    }
    const real = await fetch(`${k.url}/probe/bearer?token=${k.token}`, { headers: { 'x-forwarded-for': REMOTE } })
    assert.equal(real.status, 401)
    assert.equal(probe.counts.bearer + probe.counts.item + probe.counts['loopback-or-bearer'], 0)

    const sse = await sseOpen(`${k.url}/probe/events?token=${k.token}`)
    assert.equal(sse.status, 200)
    assert.match(sse.first, /event: hello/)
    sse.close()
    assert.equal(probe.counts.events, 1)
  } finally {
    await k.stop()
  }
})
