/**
 * Issue 18, the domain store on PostgreSQL. First the store's interface contract
 * (plugins/store/test-support/store-contract.ts, the cases the SQLite store passes) on the
 * PostgreSQL store, built directly over the kernel's SharedSql on a database of its own; then what
 * only a cluster shows: two stores (two nodes' worth: own pools, own artifact roots) racing on one
 * item, and an artifact written on one read on the other; last, two real gateways with the store
 * and the skills plugin — created on A is listed, read and found on B, concurrent updates on A and
 * B are all kept with distinct revision numbers, B, cut off from PostgreSQL, answers 503
 * `cluster_unavailable` and recovers by itself, and a node started after A died serves it all.
 */
import { test, after, describe } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { isHttpError } from '@revka/plugin-sdk'
import { SharedSql } from '../../kernel/cluster/shared-sql.js'
import type { PgPool } from '../../kernel/cluster/clients.js'
import { PgDomainStore } from '../../plugins/store/pg-store.js'
import { PG_TABLES } from '../../plugins/store/pg-schema.js'
import { CONTRACT_LIMITS, storeContract } from '../../plugins/store/test-support/store-contract.js'
import { batchContract } from '../../plugins/store/test-support/batch-contract.js'
import { storeLimits } from '../../plugins/store/limits.js'
import { killAllChildren } from '../reliability/support/gateway-child.js'
import { ADMIN, bearer, engines, json, startNode, until } from './support.js'

const pools: pg.Pool[] = []
const relays: Array<{ cut(): Promise<void> }> = []
after(async () => {
  await killAllChildren()
  // nothing may keep the test process alive: relayed connections, then the pools
  for (const r of relays) await r.cut()
  await Promise.all(pools.map((p) => p.end().catch(() => {})))
})

function pool(url: string): pg.Pool {
  const p = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 1000 })
  p.on('error', () => {})
  pools.push(p)
  return p
}

const sharedSql = (url: string, node = 'store-test') => new SharedSql(pool(url) as unknown as PgPool, node, () => {})

/** a database of its own, so the contract starts empty whatever the other cluster tests stored */
async function freshDatabase(): Promise<string> {
  const name = `store_${randomUUID().replace(/-/g, '').slice(0, 12)}`
  await pool(engines().pg).query(`CREATE DATABASE ${name}`)
  const url = new URL(engines().pg)
  url.pathname = `/${name}`
  return url.toString()
}

describe('the domain store contract on PostgreSQL', () => {
  let url: string
  let sql: SharedSql
  let dir: string
  storeContract({
    async open() {
      url = await freshDatabase()
      sql = sharedSql(url)
      dir = mkdtempSync(join(tmpdir(), 'revka-store-pg-'))
      return PgDomainStore.open(sql, dir, CONTRACT_LIMITS)
    },
    // another node's store: its own pool and its own (empty) folder of local copies
    async reopen() {
      dir = mkdtempSync(join(tmpdir(), 'revka-store-pg-'))
      return PgDomainStore.open(sharedSql(url, 'store-test-2'), dir, CONTRACT_LIMITS)
    },
    async close() {},
    async snapshot() {
      const out: Record<string, unknown> = {}
      for (const t of PG_TABLES) out[t] = (await sql.query(`SELECT * FROM ${t} x ORDER BY x::text`)).rows
      return JSON.stringify(out)
    },
    async failOnTag(tag, message) {
      await sql.query(`CREATE FUNCTION store_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.tag = '${tag}' THEN RAISE EXCEPTION '${message}'; END IF; RETURN NEW; END $$`)
      await sql.query('CREATE TRIGGER store_test_fail BEFORE INSERT ON store_tags FOR EACH ROW EXECUTE FUNCTION store_test_fail()')
      return async () => {
        await sql.query('DROP TRIGGER store_test_fail ON store_tags')
        await sql.query('DROP FUNCTION store_test_fail()')
      }
    },
    outsideFile() {
      const f = join(dir, 'outside.txt')
      writeFileSync(f, 'not the store’s')
      return f
    },
    // bodies and rows commit together: no file exists without its row
    orphanFiles: false,
    reopenSays: 'another node’s store over the same database',
    async afterReopen() {
      // the reopened store has no local copies yet: a file is fetched from PostgreSQL on first use
      const s = await PgDomainStore.open(sharedSql(url, 'store-test-3'), mkdtempSync(join(tmpdir(), 'revka-store-pg-')), CONTRACT_LIMITS)
      const { revision } = await s.createItem({
        space_path: '/Revka/Workflows',
        item_name: 'copied',
        kind: 'workflow',
        revision: { artifacts: [{ name: 'w.yaml', file: { content: 'steps: []' } }] },
      })
      const other = await PgDomainStore.open(sharedSql(url, 'store-test-4'), mkdtempSync(join(tmpdir(), 'revka-store-pg-')), CONTRACT_LIMITS)
      const art = (await other.listArtifacts(revision!.kref))[0]
      assert.ok(art.location.startsWith(other.artifactRoot + '/'), 'an owned location is answered under the reading node’s root')
      assert.equal(readFileSync(art.location, 'utf8'), 'steps: []')
    },
  })
})

describe('batch reads and the rolling full-text row on PostgreSQL', () => {
  batchContract({
    async open() {
      return PgDomainStore.open(sharedSql(await freshDatabase()), mkdtempSync(join(tmpdir(), 'revka-store-pg-')), storeLimits({ max_revisions_per_item: 40 }))
    },
    async close() {},
  })
})

test('two nodes’ stores: revisions raced on one item get distinct numbers, none lost; files written on one are read, rewritten and deleted on the other', async () => {
  const url = await freshDatabase()
  const a = await PgDomainStore.open(sharedSql(url, 'a'), mkdtempSync(join(tmpdir(), 'revka-store-a-')), CONTRACT_LIMITS)
  const b = await PgDomainStore.open(sharedSql(url, 'b'), mkdtempSync(join(tmpdir(), 'revka-store-b-')), CONTRACT_LIMITS)
  // both seed the same projects at once, as nodes starting together do
  await Promise.all([a.ensureSpace('/Revka/AgentPool'), b.ensureSpace('/Revka/AgentPool'), a.ensureSpace('/Revka/Teams'), b.ensureSpace('/Revka/Teams')])
  assert.deepEqual(
    (await b.listSpaces({ parent_path: '/Revka' })).map((s) => s.path),
    ['/Revka/AgentPool', '/Revka/Teams'],
  )
  const k = 'Revka/AgentPool/raced.agent'
  await a.createItem({ space_path: '/Revka/AgentPool', item_name: 'raced', kind: 'agent', revision: { metadata: { n: 'first' } } })
  const made = await Promise.all([0, 1].map((i) => (i ? b : a).createRevision(k, { metadata: { n: `from ${i ? 'b' : 'a'}` }, tags: ['published'] })))
  assert.deepEqual(made.map((r) => r.number).sort(), [2, 3])
  assert.deepEqual(
    (await b.listRevisions(k)).map((r) => r.number),
    [1, 2, 3],
  )
  assert.equal((await a.currentRevision(k))!.number, 3, 'published moved to the last one written, on one revision only')
  assert.equal((await a.listRevisions(k)).filter((r) => r.published).length, 1)
  // the same item created on both at once: one wins, the other is the 409 of a duplicate
  const both = await Promise.allSettled([a, b].map((s) => s.createItem({ space_path: '/Revka/Teams', item_name: 'once', kind: 'bundle' })))
  assert.deepEqual(both.map((r) => r.status).sort(), ['fulfilled', 'rejected'])
  const lost = both.find((r) => r.status === 'rejected') as PromiseRejectedResult
  assert.equal(lost.reason.statusCode, 409)

  const { revision } = await a.createItem({
    space_path: '/Revka/AgentPool',
    item_name: 'with-file',
    kind: 'agent',
    revision: { artifacts: [{ name: 'a.md', file: { content: 'written on a' } }] },
  })
  const onB = (await b.getArtifact(revision!.kref + '&a=a.md'))!
  assert.ok(onB.location.startsWith(b.artifactRoot))
  assert.equal(readFileSync((await b.containedArtifactPath(onB.location))!, 'utf8'), 'written on a')
  assert.equal((await b.search({ query: 'with file' })).items[0].item.item_name, 'with-file')
  await a.writeArtifactFile(onB.kref, { content: 'rewritten on a' })
  assert.equal(readFileSync((await b.containedArtifactPath(onB.location))!, 'utf8'), 'rewritten on a')
  // a location recorded in revision metadata (an avatar's) is answered under each node's root too
  const avatar = await a.createRevision('Revka/AgentPool/with-file.agent', {
    artifacts: [{ name: 'profile-avatar', file: { content: 'png bytes' }, location_metadata_key: 'avatar_location' }],
  })
  assert.ok(avatar.metadata.avatar_location.startsWith(a.artifactRoot + '/'))
  const seen = (await b.currentRevision('Revka/AgentPool/with-file.agent'))!.metadata.avatar_location
  assert.ok(seen.startsWith(b.artifactRoot + '/'), seen)
  assert.equal(readFileSync((await b.containedArtifactPath(seen))!, 'utf8'), 'png bytes')
  assert.deepEqual(
    (await b.findArtifactsByLocation(seen)).map((x) => x.name),
    ['profile-avatar'],
  )
  await a.deleteItem('Revka/AgentPool/with-file.agent')
  assert.equal(await b.containedArtifactPath(onB.location), null, 'deleted on a: no longer served on b')
  // the running totals the bounds are checked against are what the tables hold
  const sql = sharedSql(url)
  const totals = Object.fromEntries((await sql.query<{ name: string; n: string }>('SELECT name, n FROM store_counters')).rows.map((r) => [r.name, Number(r.n)]))
  const real = (
    await sql.query<{ items: number; edges: number; bytes: number }>(
      `SELECT (SELECT COUNT(*) FROM store_items)::int AS items, (SELECT COUNT(*) FROM store_edges)::int AS edges,
      (SELECT COALESCE(SUM(owned_size), 0) FROM store_artifacts)::int AS bytes`,
    )
  ).rows[0]
  assert.deepEqual(totals, { items: real.items, edges: real.edges, artifact_bytes: real.bytes })
})

test('store-wide bounds count the cluster: items raced on two nodes stop at max_items, edges at max_edges, a delete frees its slots', async () => {
  const url = await freshDatabase()
  const limits = storeLimits({ max_items: 6, max_edges: 2 })
  const [a, b] = await Promise.all(['a', 'b'].map(async (n) => PgDomainStore.open(sharedSql(url, n), mkdtempSync(join(tmpdir(), `revka-store-${n}-`)), limits)))
  const made = await Promise.allSettled(
    Array.from({ length: 10 }, (_, i) => (i % 2 ? b : a).createItem({ space_path: '/P/S', item_name: `i${i}`, kind: 'note', revision: {} })),
  )
  assert.equal(made.filter((r) => r.status === 'fulfilled').length, 6)
  for (const r of made) if (r.status === 'rejected') assert.equal(r.reason.code, 'quota_exceeded')
  assert.equal((await b.listItems({ space_path: '/P/S' })).total, 6)
  const revs = made.flatMap((r) => (r.status === 'fulfilled' ? [r.value.revision!.kref] : []))
  const edges = await Promise.allSettled(
    [1, 2, 3, 4].map((i) => (i % 2 ? b : a).createEdge({ source_kref: revs[0], target_kref: revs[i], edge_type: 'LINKS' })),
  )
  assert.equal(edges.filter((r) => r.status === 'fulfilled').length, 2)
  // deleting the item at one end of both edges frees an item slot and both edge slots
  await a.deleteItem(revs[0].replace(/\?r=1$/, ''))
  await b.createItem({ space_path: '/P/S', item_name: 'again', kind: 'note', revision: {} })
  await b.createEdge({ source_kref: revs[1], target_kref: revs[2], edge_type: 'LINKS' })
  await a.createEdge({ source_kref: revs[2], target_kref: revs[3], edge_type: 'LINKS' })
  await assert.rejects(a.createItem({ space_path: '/P/S', item_name: 'over', kind: 'note' }), (e: any) => e.code === 'quota_exceeded')
})

/** A TCP relay to PostgreSQL that the test can cut and restore, as a network partition would. */
async function relay(): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void> }> {
  const target = new URL(engines().pg)
  const sockets = new Set<Socket>()
  let server: Server
  const listen = (port: number) =>
    new Promise<number>((resolve) => {
      server = createServer((client) => {
        const up = connect(Number(target.port || 5432), target.hostname)
        for (const s of [client, up]) {
          sockets.add(s)
          s.on('error', () => {})
          s.on('close', () => sockets.delete(s))
        }
        client.pipe(up).pipe(client)
      }).listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port))
    })
  const port = await listen(0)
  const url = new URL(engines().pg)
  url.host = `127.0.0.1:${port}`
  const link = {
    url: url.toString(),
    async cut() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      })
    },
    async restore() {
      await listen(port)
    },
  }
  relays.push(link)
  return link
}

test('two gateways: a skill created on A is listed, read and found on B; updates raced on A and B are all kept; B cut off from PostgreSQL answers 503 and recovers; a node started after A died serves it all', async () => {
  const link = await relay()
  const plugins = { store: {}, skills: {} }
  const nodeA = await startNode('store-a', { plugins })
  // B reaches PostgreSQL through the relay (support.ts reads the engines' address when it is called)
  const direct = process.env.REVKA_CLUSTER_PG_URL
  process.env.REVKA_CLUSTER_PG_URL = link.url
  const startingB = startNode('store-b', { plugins })
  process.env.REVKA_CLUSTER_PG_URL = direct
  const nodeB = await startingB
  const call = (node: { url: string }, method: string, path: string, body?: unknown) =>
    json(`${node.url}${path}`, {
      method,
      headers: { ...bearer(ADMIN), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    })

  const name = `cluster-${randomUUID().slice(0, 6)}`
  const content = '# Cluster skill\nbody written on A'
  const made = await call(nodeA, 'POST', '/api/skills', { name, description: 'shared zebrafish notes', content, domain: 'Ops' })
  assert.equal(made.status, 201, JSON.stringify(made.body))
  const path = `/api/skills/CognitiveMemory/Skills/${name}.skill`
  const listed = await call(nodeB, 'GET', '/api/skills?per_page=50')
  assert.ok(
    listed.body.skills.some((s: { name: string }) => s.name === name),
    JSON.stringify(listed.body),
  )
  const read = await call(nodeB, 'GET', path)
  assert.equal(read.status, 200)
  assert.equal(read.body.skill.content, content, 'the SKILL.md A wrote is read on B')
  const found = await call(nodeB, 'GET', '/api/skills?q=zebrafi')
  assert.deepEqual(
    found.body.skills.map((s: { name: string }) => s.name),
    [name],
    'full-text search on B finds it (prefix of the last word)',
  )

  // five updates on each node at once: ten new revisions, numbered 2…11, none lost
  const updates = await Promise.all(
    Array.from({ length: 10 }, (_, i) => call(i % 2 ? nodeB : nodeA, 'PUT', path, { name, description: `update ${i}`, content: `# v${i}`, domain: 'Ops' })),
  )
  for (const u of updates) assert.equal(u.status, 200, JSON.stringify(u.body))
  assert.deepEqual(
    updates.map((u) => u.body.skill.revision_number).sort((x: number, y: number) => x - y),
    [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
  )
  const rows = await pool(engines().pg).query(
    `SELECT r.number FROM store_revisions r JOIN store_items i ON i.id = r.item_id WHERE i.item_name = $1 AND i.kind = 'skill' ORDER BY r.number`,
    [name],
  )
  assert.deepEqual(
    rows.rows.map((r) => r.number),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
  )
  const last = updates.find((u) => u.body.skill.revision_number === 11)!
  assert.equal((await call(nodeA, 'GET', path)).body.skill.content, last.body.skill.content, 'both nodes serve the last revision')
  assert.equal((await call(nodeB, 'GET', path)).body.skill.content, last.body.skill.content)

  await link.cut()
  const down = await call(nodeB, 'GET', '/api/skills')
  assert.equal(down.status, 503, JSON.stringify(down.body))
  assert.equal(down.body.code, 'cluster_unavailable')
  assert.ok(Number(down.headers.get('retry-after')) > 0)
  assert.equal((await call(nodeA, 'GET', path)).status, 200, 'A, still connected, serves on')
  await link.restore()
  await until('B serves skills again', async () => (await call(nodeB, 'GET', path)).status === 200, 20_000)

  // A dies; a node started afterwards, with an empty state folder, serves all of it
  await nodeA.kill9()
  const nodeC = await startNode('store-c', { plugins })
  const onC = await call(nodeC, 'GET', path)
  assert.equal(onC.status, 200)
  assert.equal(onC.body.skill.content, last.body.skill.content, 'the SKILL.md body comes from PostgreSQL, not from a node’s folder')
  assert.equal((await call(nodeC, 'GET', '/api/skills?q=zebrafish')).body.total_count, 0, 'the first description is an older revision now')
  assert.equal((await call(nodeC, 'GET', `/api/skills?q=${encodeURIComponent(last.body.skill.description)}`)).body.skills[0].name, name)
})

test('a store whose PostgreSQL cannot be reached rejects with 503 cluster_unavailable, not a 500', async () => {
  const link = await relay()
  const s = await PgDomainStore.open(sharedSql(link.url, 'cut'), mkdtempSync(join(tmpdir(), 'revka-store-cut-')), CONTRACT_LIMITS)
  await link.cut()
  for (const call of [() => s.getItem('Revka/AgentPool/x.agent'), () => s.createItem({ space_path: '/Revka/AgentPool', item_name: 'x', kind: 'agent' })]) {
    const e = await call().catch((err) => err)
    assert.ok(isHttpError(e), `an httpError, got ${e}`)
    assert.equal(e.statusCode, 503)
    assert.equal(e.code, 'cluster_unavailable')
  }
})
