/**
 * Issue 18, "the audit chain, as one chain across nodes, appended transactionally": three gateway
 * processes record into one hash chain on PostgreSQL. What an operator notices: whichever node
 * the dashboard asks, it lists the same entries in one unbroken sequence and verifies them; a row
 * changed or deleted behind the gateways' back is reported at its position on every node; and
 * what a node records while PostgreSQL is away is on the chain once it is back.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import pg from 'pg'
import { killAllChildren, type GatewayChild } from '../reliability/support/gateway-child.js'
import { ADMIN, bearer, engines, json, pairVia, pg as pgEngine, startNode, until } from './support.js'

let nodes: GatewayChild[] = []
let db: pg.Client

before(async () => {
  // one after the other, as the three-node suite does: the first applies the schema
  for (const id of ['audit-a', 'audit-b', 'audit-c']) nodes.push(await startNode(id))
  db = new pg.Client({ connectionString: engines().pg })
  db.on('error', () => {}) // the outage test stops the engine under this connection too
  await db.connect()
})

after(async () => {
  await db?.end().catch(() => {})
  await killAllChildren()
})

const WRONG = 'rk_' + 'e'.repeat(64)
/** a refused bearer from `client` (behind the proxy): one auth_failure entry naming the client */
const failFrom = (n: GatewayChild, client: string) => json(`${n.url}/api/audit`, { headers: { ...bearer(WRONG), 'x-forwarded-for': client } })

async function list(n: GatewayChild): Promise<any[]> {
  const r = await json(`${n.url}/api/audit?limit=500`, { headers: bearer(ADMIN) })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return r.body.events
}

async function verify(n: GatewayChild): Promise<any> {
  const r = await json(`${n.url}/api/audit/verify`, { headers: bearer(ADMIN) })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return r.body
}

const failuresOf = (events: any[], clients: string[]) => events.filter((e) => e.event_type === 'auth_failure' && clients.includes(e.actor?.username))

test('actions on three nodes at once are one chain: every node lists the same entries in one sequence and verifies it', async () => {
  const [A, B, C] = nodes
  const doomed = await pairVia(A, A, 'audit-doomed')
  const clients = nodes.flatMap((_, i) => [1, 2, 3, 4].map((k) => `192.0.2.${i * 10 + k}`))
  // at the same time: a revocation on A, a pairing on B (code from C), refused bearers on all three
  const [revoked, paired, refused] = await Promise.all([
    json(`${A.url}/api/devices/${doomed.deviceId}`, { method: 'DELETE', headers: bearer(ADMIN) }),
    pairVia(C, B, 'audit-new'),
    Promise.all(clients.map((c, j) => failFrom(nodes[Math.floor(j / 4)], c))),
  ])
  assert.equal(revoked.status, 200, JSON.stringify(revoked.body))
  assert.deepEqual(
    refused.map((r) => r.status),
    clients.map(() => 401),
  )
  const complete = (events: any[]) =>
    failuresOf(events, clients).length === clients.length &&
    events.some((e) => e.action?.command === `device.revoke ${doomed.deviceId}`) &&
    events.some((e) => e.actor?.user_id === paired.deviceId && e.action?.command === 'pair')
  for (const n of nodes) await until(`${n.url} lists every node's entries`, async () => complete(await list(n)))

  const lists = await Promise.all(nodes.map(list))
  // newer entries (the reads' own auth_success) may land between the reads: compare up to the oldest head
  const upTo = Math.min(...lists.map((l) => l[0].sequence))
  const common = lists.map((l) => l.filter((e) => e.sequence <= upTo).map((e) => `${e.sequence}:${e.event_id}`))
  assert.deepEqual(common[1], common[0])
  assert.deepEqual(common[2], common[0])
  for (const events of lists) {
    for (let i = 1; i < events.length; i++) {
      assert.equal(events[i].sequence, events[i - 1].sequence - 1, 'one sequence, no gaps, no duplicates')
      assert.equal(events[i - 1].prev_hash, events[i].entry_hash, 'each entry follows the one before it, whichever node wrote it')
    }
  }
  for (const n of nodes) {
    const v = await verify(n)
    assert.equal(v.verified, true, JSON.stringify(v))
    assert.ok(v.entry_count >= lists[0].length)
  }
})

test('a row changed or deleted in PostgreSQL fails verify at its position on every node; put back, the chain verifies again', async () => {
  const target = (await list(nodes[0])).find((e) => e.actor?.username === '192.0.2.12')
  assert.ok(target, 'the entry to tamper with')
  const seq = target.sequence
  const { rows } = await db.query('SELECT seq, event_id, event_type, at_ms, node_id, entry FROM revka_audit_chain WHERE seq = $1', [seq])
  const row = rows[0]

  await db.query('UPDATE revka_audit_chain SET entry = $2 WHERE seq = $1', [seq, row.entry.replace('192.0.2.12', '192.0.2.99')])
  for (const n of nodes) {
    const v = await verify(n)
    assert.equal(v.verified, false)
    assert.equal(v.line, seq + 1)
    assert.match(v.error, new RegExp(`entry_hash mismatch \\(entry ${seq}\\) at sequence ${seq}`))
  }

  await db.query('DELETE FROM revka_audit_chain WHERE seq = $1', [seq])
  for (const n of nodes) {
    const v = await verify(n)
    assert.equal(v.verified, false)
    assert.equal(v.line, seq + 1)
    assert.match(v.error, new RegExp(`missing entry \\(expected ${seq}, found ${seq + 1}\\)`))
    assert.ok(!(await list(n)).some((e) => e.sequence === seq))
  }

  await db.query('INSERT INTO revka_audit_chain (seq, event_id, event_type, at_ms, node_id, entry) VALUES ($1, $2, $3, $4, $5, $6)', [
    row.seq,
    row.event_id,
    row.event_type,
    row.at_ms,
    row.node_id,
    row.entry,
  ])
  for (const n of nodes) assert.equal((await verify(n)).verified, true)
})

test('entries recorded while PostgreSQL is away wait on their node and are appended when it is back', async () => {
  const clients = ['198.51.100.61', '198.51.100.62', '198.51.100.63']
  pgEngine('stop')
  try {
    // the refusal does not wait on PostgreSQL: the device table is in memory, the entry is buffered
    const refused = await Promise.all(clients.map((c, i) => failFrom(nodes[i], c)))
    assert.deepEqual(
      refused.map((r) => r.status),
      [401, 401, 401],
    )
    let audit: any
    await until('A reports entries waiting', async () => {
      audit = (await json(`${nodes[0].url}/health`)).body.runtime.components['cluster:audit']
      return audit.status === 'error'
    })
    assert.match(audit.last_error, /[1-9]\d* entries waiting \(max 10000\), 0 refused, 0 failed/)
    const read = await json(`${nodes[1].url}/api/audit`, { headers: bearer(ADMIN) })
    assert.equal(read.status, 503)
    assert.equal(read.body.code, 'cluster_unavailable')
  } finally {
    pgEngine('start')
  }
  await until('the waiting entries are on the chain', async () => failuresOf(await list(nodes[2]), clients).length === clients.length, 20_000)
  for (const n of nodes) {
    assert.equal(failuresOf(await list(n), clients).length, clients.length, 'each once')
    const v = await verify(n)
    assert.equal(v.verified, true, JSON.stringify(v))
  }
  await until('A reports the audit chain caught up', async () => (await json(`${nodes[0].url}/health`)).body.runtime.components['cluster:audit'].status === 'ok')
})
