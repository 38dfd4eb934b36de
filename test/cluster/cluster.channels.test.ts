/**
 * Issue 18, "webhook journals and idempotency keys" shared across nodes, for the built-in
 * providers: two real gateways (A, B) run the WhatsApp plugin against one stand-in Cloud API. A
 * signed delivery acknowledged by A is answered once; Meta's retry of it landing on B is a
 * duplicate; with A stopped, the contact's next message (on B, the only node left to run it)
 * continues the conversation A began (the offline model counts the messages it was given); and A,
 * restarted on its own state dir, reports the same message count as B. The generic synchronous
 * `/webhook`'s `X-Idempotency-Key` is shared the same way.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { killAllChildren, type GatewayChild } from '../reliability/support/gateway-child.js'
import { startFakeApi, type FakeApi } from '../ingress/fake-api.js'
import { APP_SECRET, signedHeaders, textDelivery } from '../../plugins/whatsapp/test-support/cloud-api.js'
import { ADMIN, bearer, engines, json, pg, startNode, until } from './support.js'
import { SharedSql } from '../../kernel/cluster/shared-sql.js'
import { ClusterWebhookQueue } from '../../kernel/cluster/webhook-queue.js'
import { SharedChannelState } from '../../plugin-sdk/src/webhook/shared-channel.js'
import { SharedIdempotencyWindow, SWEEP_EVERY } from '../../plugins/webhook/shared-idempotency.js'

let A: GatewayChild, B: GatewayChild, api: FakeApi
const stateA = mkdtempSync(join(tmpdir(), 'revka-cluster-ch-a-'))
const node = (id: string, stateDir?: string) =>
  startNode(id, { stateDir, plugins: { whatsapp: { app_secret: APP_SECRET, access_token: 'wa-access', api_base_url: api.url } } })

before(async () => {
  api = await startFakeApi('ok')
  // one after the other: the first applies the schema, the second finds it applied
  A = await node('ch-a', stateA)
  B = await node('ch-b')
})

after(async () => {
  await killAllChildren()
  await api?.close()
})

const whatsapp = async (n: GatewayChild) => {
  const r = await json(`${n.url}/api/channels`, { headers: bearer(ADMIN) })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return r.body.channels.find((c: any) => c.id === 'whatsapp')
}

/** the node that finished the delivery whose text contains `marker` (null while none has) */
async function finishedBy(marker: string): Promise<string | null> {
  const { Client } = createRequire(import.meta.url)('pg')
  const db = new Client({ connectionString: engines().pg })
  await db.connect()
  try {
    const q = await db.query(`SELECT leased_by FROM revka_webhook_deliveries WHERE done_at IS NOT NULL AND message::text LIKE '%' || $1 || '%'`, [marker])
    return q.rows[0]?.leased_by ?? null
  } finally {
    await db.end()
  }
}

test('a delivery on A is answered once, its retry on B is a duplicate, B continues the conversation, counts agree', async () => {
  const run = Date.now()
  const first = textDelivery(`wamid.ONE.${run}`, `first message ${run}`, { contact: true })
  const r1 = await json(`${A.url}/whatsapp`, { method: 'POST', headers: signedHeaders(first), body: first })
  assert.equal(r1.status, 200, JSON.stringify(r1.body))
  assert.deepEqual(r1.body, { status: 'ok', queued: 1 })
  const [sent] = await api.waitFor(1)
  assert.equal(sent.url, '/1098/messages')
  assert.match(sent.json().text.body, new RegExp(`first message ${run}`))
  assert.match(sent.json().text.body, /This conversation has 1 message, 1 from you/)

  // Meta retries the same delivery, and the load balancer sends it to B: nothing runs again
  const again = await json(`${B.url}/whatsapp`, { method: 'POST', headers: signedHeaders(first), body: first })
  assert.equal(again.status, 200)
  assert.deepEqual({ status: again.body.status, idempotent: again.body.idempotent }, { status: 'duplicate', idempotent: true })

  // A finished the delivery (in the shared queue), then stops: the next turn can only run on B
  await until('A finished the first delivery', async () => (await finishedBy(`first message ${run}`)) === 'ch-a')
  A.signal('SIGTERM')
  await A.exited

  // the contact writes again, through B: the turn sees what was said through A
  const second = textDelivery(`wamid.TWO.${run}`, `second message ${run}`, { contact: true })
  const r2 = await json(`${B.url}/whatsapp`, { method: 'POST', headers: signedHeaders(second), body: second })
  assert.deepEqual(r2.body, { status: 'ok', queued: 1 })
  const [, reply] = await api.waitFor(2)
  assert.match(reply.json().text.body, new RegExp(`second message ${run}`))
  assert.match(reply.json().text.body, /This conversation has 3 messages, 2 from you/, 'the history A recorded reached the turn')

  await until('B finished the second delivery', async () => (await finishedBy(`second message ${run}`)) === 'ch-b')

  // A back on its own state dir: both nodes count both messages, with the same newest time
  A = await node('ch-a', stateA)
  const [a, b] = [await whatsapp(A), await whatsapp(B)]
  assert.equal(a.message_count, 2)
  assert.deepEqual(b, a)
  assert.ok(a.last_message_at !== null && Date.parse(a.last_message_at) >= run)

  // nothing more went out: two messages, two replies
  await new Promise((r) => setTimeout(r, 1200))
  assert.equal(api.requests.length, 2)
})

test('the generic /webhook: an X-Idempotency-Key answered on A is a duplicate on B', async () => {
  const key = `sync-${Date.now()}`
  const post = (n: GatewayChild) =>
    json(`${n.url}/webhook`, {
      method: 'POST',
      headers: { ...bearer(ADMIN), 'content-type': 'application/json', 'x-idempotency-key': key },
      body: JSON.stringify({ message: 'hello once' }),
    })
  const first = await post(A)
  assert.equal(first.status, 200, JSON.stringify(first.body))
  assert.match(first.body.response, /hello once/)
  const second = await post(B)
  assert.equal(second.status, 200)
  assert.deepEqual({ status: second.body.status, idempotent: second.body.idempotent }, { status: 'duplicate', idempotent: true })
  // and a different key on B is a new request
  const other = await json(`${B.url}/webhook`, {
    method: 'POST',
    headers: { ...bearer(ADMIN), 'content-type': 'application/json', 'x-idempotency-key': `${key}-other` },
    body: JSON.stringify({ message: 'hello twice' }),
  })
  assert.match(other.body.response, /hello twice/)
})

test('PostgreSQL away: the webhook routes and GET /api/channels answer 503 cluster_unavailable, and work again once it is back', async () => {
  const run = Date.now()
  const raw = textDelivery(`wamid.PG.${run}`, `while the database was away ${run}`, { contact: true })
  const sentBefore = api.requests.length
  pg('stop')
  try {
    const wa = await json(`${B.url}/whatsapp`, { method: 'POST', headers: signedHeaders(raw), body: raw })
    assert.equal(wa.status, 503, JSON.stringify(wa.body))
    assert.equal(wa.body.code, 'cluster_unavailable')
    assert.ok(Number(wa.headers.get('retry-after')) > 0)
    const channels = await json(`${A.url}/api/channels`, { headers: bearer(ADMIN) })
    assert.equal(channels.status, 503, JSON.stringify(channels.body))
    assert.equal(channels.body.code, 'cluster_unavailable')
    const sync = await json(`${A.url}/webhook`, {
      method: 'POST',
      headers: { ...bearer(ADMIN), 'content-type': 'application/json', 'x-idempotency-key': `pg-${run}` },
      body: JSON.stringify({ message: 'hello while away' }),
    })
    assert.equal(sync.status, 503, JSON.stringify(sync.body))
    assert.equal(sync.body.code, 'cluster_unavailable')
  } finally {
    pg('start')
  }
  // Meta retries the refused delivery once the database is back: it is taken and answered, once
  await until(
    'the delivery is accepted again',
    async () => {
      const r = await json(`${B.url}/whatsapp`, { method: 'POST', headers: signedHeaders(raw), body: raw })
      return r.status === 200 && r.body.status === 'ok'
    },
    20_000,
  )
  const sent = await api.waitFor(sentBefore + 1)
  assert.match(sent[sentBefore].json().text.body, new RegExp(`while the database was away ${run}`))
  const again = await json(`${A.url}/whatsapp`, { method: 'POST', headers: signedHeaders(raw), body: raw })
  assert.equal(again.body.status, 'duplicate')
  assert.equal((await whatsapp(A)).message_count, 3)
})

/** the kernel's shared-sql service over its own pool on the suite's PostgreSQL (no gateway needed) */
async function withSharedSql(fn: (sql: SharedSql, q: (text: string, params?: unknown[]) => Promise<any[]>, pool: any) => Promise<void>): Promise<void> {
  const { Pool } = createRequire(import.meta.url)('pg')
  const pool = new Pool({ connectionString: engines().pg, max: 2 })
  try {
    await fn(new SharedSql(pool, 'bounds', () => {}), async (text, params) => (await pool.query(text, params)).rows, pool)
  } finally {
    await pool.end()
  }
}

test('shared history is bounded: the newest historyMessages per conversation, a turn recorded once, opening with the contact', async () => {
  await withSharedSql(async (sql, q) => {
    const h = new SharedChannelState(sql, 'channels-bounds', 'bounds', 4)
    const conv = `bounds_${Date.now()}`
    for (let i = 1; i <= 5; i++) await h.record(conv, `d${i}`, `user ${i}`, `agent ${i}`)
    // a turn run again after a crash records nothing more
    await h.record(conv, 'd5', 'user 5', 'agent 5')
    const rows = await q(`SELECT count(*)::int AS n FROM channels_bounds_channel_history WHERE conversation = encode(sha256($1::bytea), 'hex')`, [conv])
    assert.equal(rows[0].n, 4, 'only the newest four messages are stored')
    assert.deepEqual(
      (await h.messages(conv, 'next')).map((m) => m.content),
      ['user 4', 'agent 4', 'user 5', 'agent 5'],
    )
    // without the delivery being answered, and never starting with an agent message
    const three = new SharedChannelState(sql, 'channels-bounds', 'bounds', 3)
    assert.deepEqual(
      (await three.messages(conv, 'd5')).map((m) => m.content),
      ['user 4', 'agent 4'],
    )
    assert.deepEqual(await new SharedChannelState(sql, 'channels-bounds', 'bounds', 0).messages(conv, 'x'), [])
  })
})

test('shared /webhook idempotency keys: the window, an abandoned claim lapsing, and the key bound enforced by the sweep', async () => {
  await withSharedSql(async (sql, q) => {
    let now = Date.now() + 3_600_000 // newer than every key the nodes above claimed
    const w = new SharedIdempotencyWindow(sql, 300_000, 5, 30_000, () => now)
    const key = `k-${now}`
    assert.equal(await w.claim(key), true)
    assert.equal(await w.claim(key), false, 'an open claim within the route timeout is a duplicate')
    now += 31_000
    assert.equal(await w.claim(key), true, 'a claim left open past the route timeout (its node died) lapses')
    await w.finish(key)
    now += 31_000
    assert.equal(await w.claim(key), false, 'an answered key is a duplicate for the whole window')
    now += 300_000
    assert.equal(await w.claim(key), true, 'and new again after it')
    // the bound: the SWEEP_EVERY-th claim (five made above) leaves the newest 5 keys; 7 come after it
    for (let call = 6; call <= SWEEP_EVERY + 7; call++) {
      now += 1
      assert.equal(await w.claim(`${key}-${call}`), true)
    }
    const [{ n }] = await q('SELECT count(*)::int AS n FROM webhook_idempotency')
    assert.equal(n, 5 + 7, 'the sweep kept the newest five; seven claimed since')
  })
})

test('the shared webhook queue forgets idempotency keys whose window has passed', async () => {
  await withSharedSql(async (_sql, q, pool) => {
    // its own channel: the nodes' workers never lease these
    const queue = new ClusterWebhookQueue(pool, 'bounds', 5000)
    const now = Date.now()
    const old = `bounds:old-${now}`
    const live = `bounds:live-${now}`
    assert.equal(await queue.enqueue('bounds', { key: old, until: now - 1000, now: now - 2000 }, []), true)
    assert.equal(await queue.enqueue('bounds', { key: live, until: now + 600_000, now }, []), true)
    // the keys are swept with the finished deliveries, once per 256 finishes
    for (let i = 0; i < 256; i++) {
      await queue.enqueue('bounds', undefined, [{ id: `bounds-${now}-${i}`, at: now, message: { text: 'x' } }])
      const d = await queue.claim('bounds')
      await queue.finish(d!.id, true)
    }
    await until('the expired key is gone', async () => (await q('SELECT 1 FROM revka_webhook_keys WHERE key = $1', [old])).length === 0)
    assert.equal((await q('SELECT 1 FROM revka_webhook_keys WHERE key = $1', [live])).length, 1, 'a key inside its window stays')
  })
})
