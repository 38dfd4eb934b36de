/**
 * Issue 18, "the audit chain, as one chain across nodes, appended transactionally": three gateway
 * processes record into one hash chain on PostgreSQL. What an operator notices: whichever node
 * the dashboard asks, it lists the same entries in one unbroken sequence and verifies them; a row
 * changed or deleted behind the gateways' back is reported at its position on every node; and
 * what a node records while PostgreSQL is away is on the chain once it is back.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { ROOT } from '../reliability/support/builtins.js'
import { AUDIT_BUFFER_MAX, ClusterAudit, type ClusterAuditOptions } from '../../kernel/cluster/audit-pg.js'
import { SharedSql } from '../../kernel/cluster/shared-sql.js'
import { SharedChainVerifier } from '../../kernel/cluster/audit-pg-verify.js'
import type { PgPool } from '../../kernel/cluster/clients.js'
import { killAllChildren, type GatewayChild } from '../reliability/support/gateway-child.js'
import { ADMIN, bearer, engines, json, pairVia, pg as pgEngine, startNode, until } from './support.js'

const nodes: GatewayChild[] = []
const stateDirs: string[] = []
let db: pg.Pool

before(async () => {
  // one after the other, as the three-node suite does: the first applies the schema
  for (const id of ['audit-a', 'audit-b', 'audit-c']) {
    const stateDir = mkdtempSync(join(tmpdir(), `revka-cluster-${id}-`))
    stateDirs.push(stateDir)
    nodes.push(await startNode(id, { stateDir }))
  }
  // a pool: the outage test stops the engine under its connections, and it reconnects after
  db = new pg.Pool({ connectionString: engines().pg, max: 2 })
  db.on('error', () => {})
})

after(async () => {
  await db?.end().catch(() => {})
  await killAllChildren()
})

const WRONG = 'rk_' + 'e'.repeat(64)
/** a refused bearer from `client` (behind the proxy): one auth_failure entry naming the client */
const failFrom = (n: GatewayChild, client: string) => json(`${n.url}/api/audit`, { headers: { ...bearer(WRONG), 'x-forwarded-for': client } })

async function list(n: GatewayChild, query = ''): Promise<any[]> {
  const r = await json(`${n.url}/api/audit?limit=500${query}`, { headers: bearer(ADMIN) })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return r.body.events
}

/** `revka audit verify` run by an operator on a node's machine: its state dir's config.toml names the cluster */
function cliVerify(stateDir: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'revka.js'), 'audit', 'verify', '--state-dir', stateDir], { encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, out: r.stdout + r.stderr }
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

  const lists = await Promise.all(nodes.map((n) => list(n)))
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
  // each node has verified this far before: what it remembers of that must not hide the edit
  for (const n of nodes) assert.equal((await verify(n)).verified, true)

  await db.query('UPDATE revka_audit_chain SET entry = $2 WHERE seq = $1', [seq, row.entry.replace('192.0.2.12', '192.0.2.99')])
  for (const n of nodes) {
    const v = await verify(n)
    assert.equal(v.verified, false)
    assert.equal(v.line, seq + 1)
    assert.match(v.error, new RegExp(`entry_hash mismatch \\(entry ${seq}\\) at sequence ${seq}`))
  }
  // the CLI on a node's machine checks the same shared chain, not the node's file log
  const broken = cliVerify(stateDirs[1])
  assert.equal(broken.status, 1, broken.out)
  assert.match(broken.out, new RegExp(`error audit chain broken: entry_hash mismatch \\(entry ${seq}\\) at sequence ${seq}`))

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
  const count = (await verify(nodes[2])).entry_count
  const ok = cliVerify(stateDirs[0])
  assert.equal(ok.status, 0, ok.out)
  assert.match(ok.out, /^ok {4}audit chain verified: (\d+) entries in PostgreSQL \(the cluster chain\)/)
  // the CLI's own process appends nothing, so the count is what the nodes verified (or more, if a node appended since)
  assert.ok(Number(/verified: (\d+) entries/.exec(ok.out)![1]) >= count)
})

/** a fourth writer in this process, with the node's own buffer, to fill that buffer past its bound */
function inProcessWriter(pool: pg.Pool, logged: string[]): ClusterAudit {
  const log = {
    error: (o: object, m: string) => void logged.push(m + ' ' + JSON.stringify(o)),
    warn: () => {},
    info: () => {},
  } as unknown as ClusterAuditOptions['log']
  return new ClusterAudit({ sql: new SharedSql(pool as unknown as PgPool, 'bound', () => {}), nodeId: 'bound', signingKey: null, maxRows: 1_000_000, log })
}

const entry = (command: string) => ({
  timestamp: new Date().toISOString(),
  event_id: randomUUID(),
  event_type: 'security_event' as const,
  actor: { channel: 'gateway', user_id: null, username: null },
  action: { command, risk_level: 'low' as const, approved: true, allowed: true },
  result: null,
  security: { policy_violation: false, rate_limit_remaining: null, sandbox_backend: null },
})

test('entries recorded while PostgreSQL is away wait on their node and are appended when it is back; past the bound one is refused', async () => {
  const clients = ['198.51.100.61', '198.51.100.62', '198.51.100.63']
  const pool = new pg.Pool({ connectionString: engines().pg, max: 2, connectionTimeoutMillis: 1000 })
  pool.on('error', () => {})
  const logged: string[] = []
  const bound = inProcessWriter(pool, logged)
  pgEngine('stop')
  try {
    for (let i = 0; i < AUDIT_BUFFER_MAX; i++) assert.equal(bound.enqueue(entry(`bound ${i}`)), true)
    assert.equal(bound.enqueue(entry('one too many')), false, 'the full buffer refuses')
    assert.equal(bound.dropped, 1)
    assert.ok(logged.some((m) => m.startsWith('REVKA_ERR_AUDIT_BUFFER_FULL')))
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
  const failures = (n: GatewayChild) => list(n, '&event_type=auth_failure')
  await until('the waiting entries are on the chain', async () => failuresOf(await failures(nodes[2]), clients).length === clients.length, 20_000)
  await until('the full buffer is flushed', async () => bound.queued === 0, 30_000)
  const kept = await db.query(
    "SELECT count(*)::int AS n, count(*) FILTER (WHERE entry LIKE '%one too many%')::int AS refused FROM revka_audit_chain WHERE node_id = 'bound'",
  )
  assert.deepEqual(kept.rows[0], { n: AUDIT_BUFFER_MAX, refused: 0 })
  await bound.close()
  await pool.end()
  for (const n of nodes) {
    assert.equal(failuresOf(await failures(n), clients).length, clients.length, 'each once')
    const v = await verify(n)
    assert.equal(v.verified, true, JSON.stringify(v))
  }
  await until(
    'A reports the audit chain caught up',
    async () => (await json(`${nodes[0].url}/health`)).body.runtime.components['cluster:audit'].status === 'ok',
  )
})

test('a repeated verify reads only the entries after what it verified before, and still sees an edit before them', async () => {
  const pool = new pg.Pool({ connectionString: engines().pg, max: 2 })
  pool.on('error', () => {})
  // how many chain rows each verify fetched, counted on the connections the verifier is lent
  let fetched = 0
  const counting = {
    query: (text: string, params?: unknown[]) => pool.query(text, params),
    connect: async () => {
      const c = await pool.connect()
      return {
        query: async (text: string, params?: unknown[]) => {
          const r = await c.query(text, params)
          if (text.includes('entry') && text.includes('FROM revka_audit_chain')) fetched += r.rowCount ?? 0
          return r
        },
        release: (err?: Error | boolean) => c.release(err as any),
        on: (event: 'error', fn: (e: Error) => void) => c.on(event, fn),
        removeListener: (event: 'error', fn: (e: Error) => void) => c.removeListener(event, fn),
      }
    },
    end: () => pool.end(),
    on: () => {},
  }
  const verifier = new SharedChainVerifier(new SharedSql(counting as unknown as PgPool, 'verify-test', () => {}), null)
  const first = await verifier.verify()
  assert.equal(first.verified, true, JSON.stringify(first))
  assert.ok(fetched >= AUDIT_BUFFER_MAX, `the first walk reads the whole chain (${fetched})`)
  fetched = 0
  assert.equal((await verifier.verify()).verified, true)
  assert.ok(fetched < 100, `the second reads only what was appended since (${fetched})`)

  const { rows } = await db.query("SELECT seq, entry FROM revka_audit_chain WHERE node_id = 'bound' ORDER BY seq LIMIT 1")
  await db.query('UPDATE revka_audit_chain SET entry = $2 WHERE seq = $1', [rows[0].seq, rows[0].entry.replace('"bound 0"', '"bound zero"')])
  const v = await verifier.verify()
  assert.equal(v.verified, false)
  assert.equal((v as any).line, Number(rows[0].seq) + 1)
  await pool.end()
})

test('the chain is bounded: an append past the bound deletes the oldest rows with it, and every node verifies the kept chain from its new start', async () => {
  const pool = new pg.Pool({ connectionString: engines().pg, max: 2 })
  pool.on('error', () => {})
  const log = { error: () => {}, warn: () => {}, info: () => {} } as unknown as ClusterAuditOptions['log']
  const small = new ClusterAudit({ sql: new SharedSql(pool as unknown as PgPool, 'small', () => {}), nodeId: 'small', signingKey: null, maxRows: 50, log })
  for (let i = 0; i < 3; i++) assert.equal(small.enqueue(entry(`small ${i}`)), true)
  await until('appended', async () => small.queued === 0)
  const head = (await db.query('SELECT first_seq::int AS first, next_seq::int AS next FROM revka_audit_head')).rows[0]
  const kept = (await db.query('SELECT count(*)::int AS n, min(seq)::int AS oldest FROM revka_audit_chain')).rows[0]
  // the gateways keep appending (their bound is larger): at least the 50 rows, all from first_seq on
  assert.ok(head.next - head.first >= 50 && head.next - head.first < 100, JSON.stringify(head))
  assert.deepEqual(kept, { n: head.next - head.first, oldest: head.first })
  for (const n of nodes) {
    const v = await verify(n)
    assert.equal(v.verified, true, JSON.stringify(v))
    assert.ok(v.entry_count >= 50 && v.entry_count < 100)
  }
  await small.close()
  await pool.end()
})

test('an entry PostgreSQL itself refuses is lost alone, logged with its id; the entries around it go in', async () => {
  const pool = new pg.Pool({ connectionString: engines().pg, max: 2 })
  pool.on('error', () => {})
  const logged: string[] = []
  const writer = inProcessWriter(pool, logged)
  // what a constraint an operator added, or a bug, would do to one row
  await db.query(`CREATE FUNCTION audit_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.entry LIKE '%poison%' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`)
  await db.query('CREATE TRIGGER audit_test_refuse BEFORE INSERT ON revka_audit_chain FOR EACH ROW EXECUTE FUNCTION audit_test_refuse()')
  try {
    const batch = [entry('the one before'), entry('poison'), entry('the one after')]
    for (const e of batch) assert.equal(writer.enqueue(e), true)
    await until('the writer is done', async () => writer.queued === 0)
    const { rows } = await db.query('SELECT event_id FROM revka_audit_chain WHERE event_id = ANY($1)', [batch.map((e) => e.event_id)])
    assert.deepEqual(rows.map((r) => r.event_id).sort(), [batch[0].event_id, batch[2].event_id].sort(), JSON.stringify({ logged, failed: writer.failed }))
    assert.equal(writer.failed, 1)
    assert.ok(logged.some((m) => m.startsWith('REVKA_ERR_AUDIT_WRITE')))
  } finally {
    await db.query('DROP TRIGGER audit_test_refuse ON revka_audit_chain')
    await db.query('DROP FUNCTION audit_test_refuse()')
  }
  // the chain the nodes verify has no hole where the refused entry would have been
  for (const n of nodes) assert.equal((await verify(n)).verified, true)
  await writer.close()
  await pool.end()
})

test('the entry a stopping node records last (its shutdown) is on the shared chain, read on another node', async () => {
  const [A, , C] = nodes
  const r = await json(`${C.url}/admin/shutdown`, { method: 'POST', headers: bearer(ADMIN) })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  await C.exited
  const events = await list(A, '&event_type=security_event')
  assert.ok(
    events.some((e) => e.action?.command === 'gateway.shutdown (POST /admin/shutdown)'),
    'the shutdown entry of C',
  )
  assert.equal((await verify(A)).verified, true)
})
