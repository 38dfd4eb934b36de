/**
 * The `shared-sql` seam plugins keep their cluster state through (SDK SharedSqlService), against the
 * real PostgreSQL of the suite: a transaction is all or nothing, a plugin's migration steps run once
 * however many nodes start together, a statement's own error reaches the caller unchanged, and an
 * engine that cannot be reached is the 503 `cluster_unavailable` a route answers with — not a 500.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { isHttpError } from '@revka/plugin-sdk'
import { SharedSql } from '../../kernel/cluster/shared-sql.js'
import type { PgPool } from '../../kernel/cluster/clients.js'
import { engines } from './support.js'

const pools: pg.Pool[] = []
after(async () => {
  await Promise.all(pools.map((p) => p.end()))
})

function sharedSql(url = engines().pg, losses: Error[] = []): SharedSql {
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 1000 })
  pool.on('error', () => {})
  pools.push(pool)
  return new SharedSql(pool as unknown as PgPool, 'node-test', (e) => losses.push(e))
}

test('a transaction commits as a whole, and a throw inside it leaves nothing behind', async () => {
  const sql = sharedSql()
  const ns = `t-${randomUUID().slice(0, 8)}`
  const table = `sqltest_${ns.slice(2)}`
  await sql.migrate(ns, [{ id: 1, name: 'rows', sql: `CREATE TABLE ${table} (id INTEGER PRIMARY KEY, v TEXT NOT NULL)` }])
  await sql.transaction(async (tx) => {
    await tx.query(`INSERT INTO ${table} VALUES (1, 'a')`)
    await tx.query(`INSERT INTO ${table} VALUES (2, 'b')`)
  })
  await assert.rejects(
    sql.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${table} VALUES (3, 'c')`)
      throw new Error('the plugin changed its mind')
    }),
    /changed its mind/,
  )
  // a statement's own error (duplicate key) is the SQL error, not a 503, and rolls back the rest
  const dup = await sql
    .transaction(async (tx) => {
      await tx.query(`INSERT INTO ${table} VALUES (4, 'd')`)
      await tx.query(`INSERT INTO ${table} VALUES (1, 'again')`)
    })
    .catch((e) => e)
  assert.equal(isHttpError(dup), false)
  assert.equal(dup.code, '23505')
  const { rows } = await sql.query<{ id: number; v: string }>(`SELECT id, v FROM ${table} ORDER BY id`)
  assert.deepEqual(rows, [
    { id: 1, v: 'a' },
    { id: 2, v: 'b' },
  ])
})

test("a plugin's migration steps run once when three nodes start together, and a later step is added once", async () => {
  const ns = `m-${randomUUID().slice(0, 8)}`
  const table = `sqltest_${ns.slice(2)}`
  const steps = [
    { id: 1, name: 'table', sql: `CREATE TABLE ${table} (id SERIAL PRIMARY KEY)` },
    { id: 2, name: 'seed', sql: `INSERT INTO ${table} DEFAULT VALUES` },
  ]
  const nodes = [sharedSql(), sharedSql(), sharedSql()]
  const applied = await Promise.all(nodes.map((n) => n.migrate(ns, steps)))
  assert.deepEqual(applied.flat().sort(), [1, 2], 'each step applied by exactly one node')
  assert.equal((await nodes[0].query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n, 1)
  const more = [...steps, { id: 3, name: 'seed again', sql: `INSERT INTO ${table} DEFAULT VALUES` }]
  const later = await Promise.all(nodes.map((n) => n.migrate(ns, more)))
  assert.deepEqual(later.flat(), [3])
  assert.equal((await nodes[1].query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n, 2)
  // a failing step names itself and leaves the schema as it was
  const bad = [...more, { id: 4, name: 'typo', sql: `ALTER TABLE ${table} ADD COLUMN` }]
  await assert.rejects(nodes[2].migrate(ns, bad), new RegExp(`${ns} migration 4 \\(typo\\)`))
  assert.deepEqual(await nodes[2].migrate(ns, more), [])
  await assert.rejects(nodes[0].migrate('Not A Plugin', steps), /REVKA_ERR_CLUSTER_MIGRATE/)
})

test('PostgreSQL out of reach: query, transaction and migrate answer 503 cluster_unavailable with retry_after, and the node is told', async () => {
  // a loopback port nothing listens on: the connection is refused, as when the engine is down
  const net = await import('node:net')
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => resolve(p))
    })
  })
  const losses: Error[] = []
  const sql = sharedSql(`postgres://revka@127.0.0.1:${port}/revka`, losses)
  for (const call of [
    () => sql.query('SELECT 1'),
    () => sql.transaction(async (tx) => tx.query('SELECT 1')),
    () => sql.migrate('some-plugin', [{ id: 1, name: 'x', sql: 'SELECT 1' }]),
  ]) {
    const e = await call().catch((err) => err)
    assert.ok(isHttpError(e), `an httpError, got ${e}`)
    assert.equal(e.statusCode, 503)
    assert.equal(e.code, 'cluster_unavailable')
    assert.equal(e.options.retryAfter, 5)
  }
  assert.equal(losses.length, 3)
})

test('a connection killed in the middle of a transaction is a 503 for that caller, not a crash of the node', async () => {
  const losses: Error[] = []
  const sql = sharedSql(engines().pg, losses)
  const admin = sharedSql()
  const e = await sql
    .transaction(async (tx) => {
      const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid])
      // the connection dies between two statements: pg reports it as an 'error' event on a
      // connection nobody in the pool listens to, which unheard would end this process
      await new Promise((r) => setTimeout(r, 200))
      await tx.query('SELECT 1')
    })
    .catch((err) => err)
  assert.ok(isHttpError(e), `an httpError, got ${e}`)
  assert.equal(e.code, 'cluster_unavailable')
  assert.ok(losses.length >= 1)
  // the pool hands out a live connection next
  assert.equal((await sql.query<{ one: number }>('SELECT 1 AS one')).rows[0].one, 1)
})
