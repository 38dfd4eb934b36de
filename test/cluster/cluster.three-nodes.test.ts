/**
 * Issue 18 over real engines: three gateway processes (A, B, C) sharing PostgreSQL and Redis.
 * Each case is what a user behind the load balancer would notice when the next request lands on
 * another node.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { WebSocket } from 'ws'
import { openSse } from '../../plugins/events/test-sse-client.js'
import { killAllChildren, type GatewayChild } from '../reliability/support/gateway-child.js'
import { ADMIN, bearer, json, pairVia, redis, startNode, until } from './support.js'

let A: GatewayChild, B: GatewayChild, C: GatewayChild

before(async () => {
  // one after the other: three gateways starting at once on a busy two-core machine ran past the
  // kernel's 10 s plugin import timeout. The first applies the schema, the others find it applied.
  A = await startNode('a')
  B = await startNode('b')
  C = await startNode('c')
})

after(async () => {
  await killAllChildren()
})

test('a device paired on A is served on B and C, and listed there', async () => {
  const d = await pairVia(A, A, 'phone-a')
  for (const n of [B, C]) {
    const r = await json(`${n.url}/api/devices`, { headers: bearer(d.token) })
    assert.equal(r.status, 200, `node ${n.url}: ${JSON.stringify(r.body)}`)
    assert.ok(r.body.devices.some((x: any) => x.id === d.deviceId && x.name === 'phone-a'))
  }
})

test('a pairing code is single use across nodes: once on A, refused on B; raced on three nodes, one wins', async () => {
  const d = await pairVia(B, A, 'once')
  const again = await json(`${B.url}/api/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: d.code }) })
  assert.equal(again.status, 403)
  assert.equal(again.body.code, 'invalid_pairing_code')

  const c = await json(`${C.url}/api/pairing/initiate`, { method: 'POST', headers: bearer(ADMIN) })
  const before = (await json(`${A.url}/api/devices`, { headers: bearer(ADMIN) })).body.count
  const race = await Promise.all(
    [A, B, C].map((n) =>
      json(`${n.url}/api/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: c.body.pairing_code }) }),
    ),
  )
  assert.deepEqual(race.map((r) => r.status).sort(), [200, 403, 403])
  const afterCount = (await json(`${B.url}/api/devices`, { headers: bearer(ADMIN) })).body.count
  assert.equal(afterCount, before + 1, 'exactly one device was added')
})

test('wrong pairing codes spread over the nodes add up: the fifth locks the client out on every node, even with a good code', async () => {
  const client = { 'content-type': 'application/json', 'x-forwarded-for': '10.9.8.7' }
  const wrong = async (n: GatewayChild) => json(`${n.url}/api/pair`, { method: 'POST', headers: client, body: JSON.stringify({ code: 'wrong-code' }) })
  const answers = []
  for (const n of [A, B, C, A, B]) answers.push((await wrong(n)).status)
  assert.deepEqual(answers, [403, 403, 403, 403, 403])
  const good = await json(`${A.url}/api/pairing/initiate`, { method: 'POST', headers: bearer(ADMIN) })
  for (const n of [C, A, B]) {
    const r = await json(`${n.url}/api/pair`, { method: 'POST', headers: client, body: JSON.stringify({ code: good.body.pairing_code }) })
    assert.equal(r.status, 429, `node ${n.url}: ${JSON.stringify(r.body)}`)
    assert.equal(r.body.code, 'too_many_attempts')
    assert.ok(Number(r.headers.get('retry-after')) > 0)
  }
  // another client is not locked out, and the code was not used up by the refused attempts
  const other = await json(`${C.url}/api/pair`, {
    method: 'POST',
    headers: { ...client, 'x-forwarded-for': '10.9.8.6' },
    body: JSON.stringify({ code: good.body.pairing_code }),
  })
  assert.equal(other.status, 200)
})

test('pairing-code requests count across nodes: a credential gets 5 a minute in the whole cluster, the 6th is refused on every node', async () => {
  // a device of its own: the per-credential count starts at zero, whatever else the suite did
  const d = await pairVia(A, B, 'asks-for-codes')
  const ask = (n: GatewayChild) => json(`${n.url}/api/pairing/initiate`, { method: 'POST', headers: bearer(d.token) })
  const answers = []
  for (const n of [A, B, C, A, B]) answers.push((await ask(n)).status)
  assert.deepEqual(answers, [200, 200, 200, 200, 200])
  for (const n of [C, A, B]) {
    const r = await ask(n)
    assert.equal(r.status, 429, `node ${n.url}: ${JSON.stringify(r.body)}`)
    assert.equal(r.body.code, 'rate_limited')
    assert.ok(Number(r.headers.get('retry-after')) > 0)
  }
  // another credential still gets its code
  assert.equal((await json(`${C.url}/api/pairing/initiate`, { method: 'POST', headers: bearer(ADMIN) })).status, 200)
})

test('revoked on B: the open WebSocket on A closes within 1 s, and the token is refused on every node', async () => {
  const d = await pairVia(C, C, 'revoked-soon')
  const ws = new WebSocket(`${A.url.replace('http', 'ws')}/ws/chat`, ['revka.v1'], { headers: bearer(d.token) })
  await new Promise<void>((ok, fail) => {
    ws.once('open', () => ok())
    ws.once('error', fail)
  })
  const closed = new Promise<number>((ok) => ws.once('close', () => ok(performance.now())))
  const t0 = performance.now()
  const r = await json(`${B.url}/api/devices/${d.deviceId}`, { method: 'DELETE', headers: bearer(ADMIN) })
  assert.equal(r.status, 200)
  const at = await Promise.race([
    closed,
    new Promise<number>((_, fail) => setTimeout(() => fail(new Error('A kept the WebSocket open for 1 s after the revocation on B')), 1000)),
  ])
  assert.ok(at - t0 < 1000)
  for (const n of [A, B, C]) {
    assert.equal((await json(`${n.url}/api/devices`, { headers: bearer(d.token) })).status, 401, `node ${n.url} still serves the revoked token`)
  }
})

test('an event emitted on C reaches an SSE client on A, and Last-Event-ID replays it on B', async () => {
  const sse = await openSse(`${A.url}/api/events`, bearer(ADMIN))
  try {
    const marker = `from-c-${Date.now()}`
    const e = await json(`${C.url}/api/channel-events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ marker }) })
    assert.equal(e.status, 200)
    const frame = await sse.next((f) => f.json?.payload?.marker === marker)
    const id = Number(frame.id)
    assert.ok(id > 0)
    const replay = await openSse(`${B.url}/api/events`, { ...bearer(ADMIN), 'last-event-id': String(id - 1) })
    try {
      const again = await replay.next((f) => f.json?.payload?.marker === marker)
      assert.equal(Number(again.id), id, 'the same event under the same id on another node')
    } finally {
      replay.close()
    }
  } finally {
    sse.close()
  }
})

test('/health shows both engines; without Redis the node is degraded and pairing answers 503 with retry_after, revocation still reaches every node, an event emitted meanwhile is delivered after; it recovers alone', async () => {
  const h = await json(`${A.url}/health`)
  assert.equal(h.status, 200)
  assert.equal(h.body.runtime.components['cluster:postgres'].status, 'ok')
  assert.equal(h.body.runtime.components['cluster:redis'].status, 'ok')
  const d = await pairVia(A, B, 'survives-outage')
  const doomed = await pairVia(B, B, 'revoked-during-outage')
  const ws = new WebSocket(`${A.url.replace('http', 'ws')}/ws/chat`, ['revka.v1'], { headers: bearer(doomed.token) })
  await new Promise<void>((ok, fail) => {
    ws.once('open', () => ok())
    ws.once('error', fail)
  })
  const wsClosed = new Promise<number>((ok) => ws.once('close', () => ok(performance.now())))
  // a subscriber on A that stays connected through the outage
  const through = await openSse(`${A.url}/api/events`, bearer(ADMIN))
  const during = `during-outage-${Date.now()}`

  redis('stop')
  try {
    await until('A reports Redis down', async () => (await json(`${A.url}/health`)).body.runtime.components['cluster:redis'].status === 'error')
    const health = await json(`${A.url}/health`)
    assert.equal(health.body.status, 'degraded')
    const r = await json(`${B.url}/api/pairing/initiate`, { method: 'POST', headers: bearer(ADMIN) })
    assert.equal(r.status, 503)
    assert.equal(r.body.code, 'cluster_unavailable')
    assert.ok(Number(r.body.retry_after) > 0 && Number(r.headers.get('retry-after')) > 0)
    // devices live in PostgreSQL: a paired token still works while the bus is away
    assert.equal((await json(`${C.url}/api/devices`, { headers: bearer(d.token) })).status, 200)
    // and revocations travel with the database (NOTIFY), not the bus: A's socket still closes in time
    const t0 = performance.now()
    assert.equal((await json(`${C.url}/api/devices/${doomed.deviceId}`, { method: 'DELETE', headers: bearer(ADMIN) })).status, 200)
    const at = await Promise.race([
      wsClosed,
      new Promise<number>((_, fail) =>
        setTimeout(() => fail(new Error('A kept the WebSocket of a token revoked on C open for 1 s while Redis was down')), 1000),
      ),
    ])
    assert.ok(at - t0 < 1000)
    assert.equal((await json(`${B.url}/api/devices`, { headers: bearer(doomed.token) })).status, 401)
    // an event emitted on C while the bus is away is accepted and kept for later
    const emitted = await json(`${C.url}/api/channel-events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ marker: during }),
    })
    assert.equal(emitted.status, 200)
  } finally {
    redis('start')
  }
  // nothing lost: once Redis is back, the event from the outage reaches A's subscriber
  try {
    await through.next((f) => f.json?.payload?.marker === during, 10_000)
  } finally {
    through.close()
  }
  await until('A reports Redis back', async () => (await json(`${A.url}/health`)).body.runtime.components['cluster:redis'].status === 'ok')
  // the bus works again end to end
  const sse = await openSse(`${A.url}/api/events`, bearer(ADMIN))
  try {
    const marker = `after-restart-${Date.now()}`
    await until(
      'C can emit again',
      async () =>
        (await json(`${C.url}/api/channel-events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ marker }) }))
          .status === 200,
    )
    await sse.next((f) => f.json?.payload?.marker === marker, 5000)
  } finally {
    sse.close()
  }
  const again = await pairVia(C, A, 'after-outage')
  assert.equal((await json(`${B.url}/api/devices`, { headers: bearer(again.token) })).status, 200)
})
