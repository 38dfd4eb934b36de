/**
 * Issue 18, the cost ledger and auth profiles on PostgreSQL: usage recorded on A is in B's summary
 * (the budget counts the whole cluster), concurrent records from both nodes are each counted once;
 * a profile created on A lists and resolves on B, survives B's restart, and the profile quota holds
 * when both nodes create at its edge at once; a lost PostgreSQL is 503 `cluster_unavailable` on
 * these routes and they recover alone. The sealing key comes from REVKA_AUTH_PROFILES_KEY, never
 * from the database: a node without it, or with another key, does not serve profiles.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { openJsonSocket, wsCredentials } from '@revka/plugin-testing'
import { killAllChildren, type GatewayChild } from '../reliability/support/gateway-child.js'
import { ROOT } from '../reliability/support/builtins.js'
import { MAX_PROFILES } from '../../plugins/auth-profiles/store.js'
import { SharedLedger } from '../../plugins/cost/shared-ledger.js'
import { SharedSql } from '../../kernel/cluster/shared-sql.js'
import type { PgPool } from '../../kernel/cluster/clients.js'
import { ADMIN, bearer, engines, json, startNode, until } from './support.js'

const run = promisify(execFile)
const KEY = randomBytes(32).toString('hex')
const CONFIG = '\n[cost]\ndaily_limit_usd = 1000.0\nmonthly_limit_usd = 5000.0\n'
let A: GatewayChild
let B: GatewayChild
const dirB = mkdtempSync(join(tmpdir(), 'revka-cluster-cp-b-'))
const dirA = mkdtempSync(join(tmpdir(), 'revka-cluster-cp-a-'))
let db: pg.Pool

const service = (dir: string) => ({ 'x-revka-service-token': readFileSync(join(dir, 'service-token'), 'utf8').trim() })
const JSON_BODY = { 'content-type': 'application/json' }

/** the nodes read the key from their environment, which they inherit from this process */
async function withKey<T>(key: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.REVKA_AUTH_PROFILES_KEY
  if (key === undefined) delete process.env.REVKA_AUTH_PROFILES_KEY
  else process.env.REVKA_AUTH_PROFILES_KEY = key
  try {
    return await fn()
  } finally {
    if (saved === undefined) delete process.env.REVKA_AUTH_PROFILES_KEY
    else process.env.REVKA_AUTH_PROFILES_KEY = saved
  }
}

/**
 * The suite's files share one PostgreSQL: the profiles and the key check another file's nodes
 * sealed with their key would refuse ours (as they should), and ours theirs, so each run here
 * starts and ends without any.
 */
async function forgetProfiles(): Promise<void> {
  const { rows } = await db.query(`SELECT to_regclass('auth_profiles_key_check') AS t`)
  if (rows[0].t) await db.query('DELETE FROM auth_profiles_profiles; DELETE FROM auth_profiles_key_check')
}

before(async () => {
  db = new pg.Pool({ connectionString: engines().pg, max: 2 })
  db.on('error', () => {})
  await forgetProfiles()
  A = await withKey(KEY, () => startNode('cp-a', { stateDir: dirA, cluster: CONFIG }))
  B = await withKey(KEY, () => startNode('cp-b', { stateDir: dirB, cluster: CONFIG }))
})
after(async () => {
  await killAllChildren()
  await forgetProfiles().catch(() => {})
  await db?.end()
})

const usage = (node: GatewayChild, dir: string, model: string, cost: number) =>
  json(`${node.url}/api/cost/usage`, {
    method: 'POST',
    headers: { ...service(dir), ...JSON_BODY },
    body: JSON.stringify({ model, provider: 'test', input_tokens: 10, output_tokens: 5, cost_usd: cost }),
  })
const summary = async (node: GatewayChild) => {
  const r = await json(`${node.url}/api/cost`, { headers: bearer(ADMIN) })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return r.body.cost
}
const create = (node: GatewayChild, provider: string, name: string, token: string) =>
  json(`${node.url}/api/auth/profiles`, {
    method: 'POST',
    headers: { ...bearer(ADMIN), ...JSON_BODY },
    body: JSON.stringify({ provider, profile_name: name, token }),
  })
const resolve = (node: GatewayChild, dir: string, id: string) => json(`${node.url}/api/auth/profiles/${id}/resolve`, { method: 'POST', headers: service(dir) })

test("usage recorded on A is in B's summary and budget; 20 records from both nodes at once are each counted once", async () => {
  const before = await summary(B)
  const r = await usage(A, dirA, 'model-from-a', 2.5)
  assert.equal(r.status, 200, JSON.stringify(r.body))
  assert.equal(r.body.recorded, true)
  const after = await summary(B)
  assert.equal(Math.round((after.daily_cost_usd - before.daily_cost_usd) * 1e6) / 1e6, 2.5)
  assert.equal(Math.round((after.monthly_cost_usd - before.monthly_cost_usd) * 1e6) / 1e6, 2.5)
  assert.deepEqual(after.by_model['model-from-a'], { model: 'model-from-a', cost_usd: 2.5, total_tokens: 15, request_count: 1 })
  assert.equal(after.budget.daily_remaining_usd, Math.round((1000 - after.daily_cost_usd) * 1e8) / 1e8, 'the budget counts what A spent')

  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? usage(A, dirA, 'model-both', 0.25) : usage(B, dirB, 'model-both', 0.25))))
  assert.deepEqual(
    results.map((x) => x.status),
    Array(20).fill(200),
  )
  for (const n of [A, B])
    assert.deepEqual((await summary(n)).by_model['model-both'], { model: 'model-both', cost_usd: 5, total_tokens: 300, request_count: 20 })
  // the per-day rollup agrees with the records it sums
  const { rows } = await db.query(
    `SELECT d.request_count::int AS rolled, (SELECT count(*)::int FROM cost_records r WHERE r.day = d.day) AS records FROM cost_daily d WHERE d.day = $1`,
    [new Date().toISOString().slice(0, 10)],
  )
  assert.equal(rows[0].rolled, rows[0].records)
})

test("a chat turn on A (the offline provider) is counted in B's summary, from the agent_end on A's bus", async () => {
  const counts = async () => {
    const c = await summary(B)
    return [c.by_source.ws_chat?.request_count ?? 0, c.by_model['offline-echo']?.request_count ?? 0]
  }
  const [before, beforeModel] = await counts()
  const s = await openJsonSocket(`${A.url.replace(/^http/, 'ws')}/ws/chat?session_id=cost-turn`, { ...wsCredentials(ADMIN, 'header'), protocols: ['revka.v1'] })
  try {
    s.send({ type: 'message', content: 'count me' })
    await s.next('done', 15_000)
  } finally {
    s.close()
  }
  // the agent_end is recorded after the turn's done frame, so B is asked until it is in
  await until("B counts A's turn", async () => (await counts())[0] === before + 1)
  assert.deepEqual(await counts(), [before + 1, beforeModel + 1])
})

test('a profile created on A lists and resolves on B; the database holds it sealed, one per (provider, name)', async () => {
  const secret = `sk-cluster-${randomBytes(8).toString('hex')}`
  const c = await create(A, 'openai', 'cluster', secret)
  assert.equal(c.status, 201, JSON.stringify(c.body))
  const listed = await json(`${B.url}/api/auth/profiles`, { headers: bearer(ADMIN) })
  assert.ok(
    listed.body.profiles.some((p: any) => p.id === 'openai:cluster'),
    JSON.stringify(listed.body),
  )
  const r = await resolve(B, dirB, 'openai:cluster')
  assert.equal(r.status, 200, JSON.stringify(r.body))
  assert.equal(r.body.token, secret)
  assert.equal((await create(B, 'openai', 'cluster', 'another')).status, 409, 'the same (provider, name) from the other node is a duplicate')
  const { rows } = await db.query(`SELECT token FROM auth_profiles_profiles WHERE provider = 'openai' AND profile_name = 'cluster'`)
  assert.equal(rows.length, 1)
  assert.match(rows[0].token, /^enc2:/)
  assert.ok(!rows[0].token.includes(secret))
  const keyCheck = await db.query('SELECT sealed FROM auth_profiles_key_check')
  assert.ok(!JSON.stringify(keyCheck.rows).includes(KEY), 'the key itself is not in the database')
  const dup = await db
    .query(`INSERT INTO auth_profiles_profiles (id, provider, profile_name, kind, created_at, updated_at) VALUES ('x', 'openai', 'cluster', 'token', '', '')`)
    .catch((e) => e)
  assert.equal(dup.code, '23505', 'the database itself refuses a second (provider, profile_name)')
})

test('creates racing on A and B at the quota edge leave exactly MAX_PROFILES', async () => {
  const { rows } = await db.query('SELECT count(*)::int AS n FROM auth_profiles_profiles')
  const room = 3
  const seed = MAX_PROFILES - room - rows[0].n
  await db.query(
    `INSERT INTO auth_profiles_profiles (id, provider, profile_name, kind, created_at, updated_at)
     SELECT 'seed:p' || i, 'seed', 'p' || i, 'token', now()::text, now()::text FROM generate_series(1, $1) AS i`,
    [seed],
  )
  try {
    const racers = Array.from({ length: 16 }, (_, i) => create(i % 2 ? A : B, 'race', `r${i}`, `sk-race-${i}`))
    const codes = (await Promise.all(racers)).map((r) => r.status)
    assert.equal(codes.filter((s) => s === 201).length, room, JSON.stringify(codes))
    assert.equal(codes.filter((s) => s === 507).length, 16 - room, JSON.stringify(codes))
    const after = await db.query('SELECT count(*)::int AS n FROM auth_profiles_profiles')
    assert.equal(after.rows[0].n, MAX_PROFILES)
    const refused = await create(A, 'race', 'late', 'sk-late')
    assert.equal(refused.body.code, 'auth_profile_quota_exceeded')
  } finally {
    await db.query(`DELETE FROM auth_profiles_profiles WHERE provider IN ('seed', 'race')`)
  }
})

test('after B restarts it still resolves the profile and counts the cost; a delete on B is gone on A', async () => {
  B.signal('SIGTERM')
  await B.exited
  B = await withKey(KEY, () => startNode('cp-b', { stateDir: dirB, cluster: CONFIG }))
  assert.equal((await resolve(B, dirB, 'openai:cluster')).status, 200)
  assert.ok((await summary(B)).daily_cost_usd >= 7.5)
  const del = await fetch(`${B.url}/api/auth/profiles/openai:cluster`, { method: 'DELETE', headers: bearer(ADMIN) })
  assert.equal(del.status, 204)
  assert.equal((await resolve(A, dirA, 'openai:cluster')).status, 404)
})

test('without PostgreSQL the cost and profile routes answer 503 cluster_unavailable, agent_end costs wait, and all recover alone', async () => {
  // asynchronous: this process holds connections too, and must see them close while the engine stops
  const pgctl = (action: 'stop' | 'start') => run('bash', [join(ROOT, 'scripts', 'cluster-engines.sh'), `pg-${action}`, engines().dir])
  // an agent_end arriving meanwhile has no caller to answer 503 to: the ledger keeps it (the
  // plugin's own ledger over the kernel's SharedSql, in this process: a turn needs PostgreSQL too)
  const pool = new pg.Pool({ connectionString: engines().pg, max: 2, connectionTimeoutMillis: 1000 })
  pool.on('error', () => {})
  const ledger = new SharedLedger(new SharedSql(pool as unknown as PgPool, 'cp-test', () => {}))
  await ledger.open()
  const logged: string[] = []
  const log = { error: (_o: object, m: string) => void logged.push(m) }
  const at = new Date().toISOString()
  const kept = { timestamp: at, model: 'model-kept', provider: 'test', input_tokens: 1, output_tokens: 1, total_tokens: 2, cost_usd: 0.5, source: 'agent' }
  await pgctl('stop')
  try {
    ledger.appendOrKeep(kept, `kept-1@${at}`, log)
    ledger.appendOrKeep(kept, `kept-2@${at}`, log)
    // the same event seen by another node: counted once
    ledger.appendOrKeep(kept, `kept-1@${at}`, log)
    for (const res of [
      await json(`${A.url}/api/cost`, { headers: bearer(ADMIN) }),
      await usage(B, dirB, 'model-outage', 1),
      await json(`${B.url}/api/auth/profiles`, { headers: bearer(ADMIN) }),
      await create(A, 'openai', 'outage', 'sk-outage'),
    ]) {
      assert.equal(res.status, 503, JSON.stringify(res.body))
      assert.equal(res.body.code, 'cluster_unavailable')
      assert.ok(Number(res.headers.get('retry-after')) > 0)
    }
  } finally {
    await pgctl('start')
  }
  await until('B serves the cost summary again', async () => (await json(`${B.url}/api/cost`, { headers: bearer(ADMIN) })).status === 200, 30_000)
  await until('A creates profiles again', async () => (await create(A, 'openai', 'after-outage', 'sk-after')).status === 201, 30_000)
  assert.equal((await summary(B)).by_model['model-outage'], undefined, 'the refused usage was not recorded')
  assert.match(logged.join('\n'), /REVKA_ERR_COST_LEDGER: could not append an agent_end cost; retrying/)
  await until('the kept agent_end costs are recorded', async () => (await summary(B)).by_model['model-kept']?.request_count === 2, 30_000)
  assert.equal((await summary(A)).by_model['model-kept'].cost_usd, 1)
  ledger.close()
  await pool.end()
})

test('a node without REVKA_AUTH_PROFILES_KEY, or with another key, refuses to serve profiles and says why', async () => {
  for (const [key, why] of [
    [undefined, /REVKA_ERR_AUTH_PROFILES_KEY: auth-profiles: cluster mode needs REVKA_AUTH_PROFILES_KEY.*not set/],
    [randomBytes(32).toString('hex'), /REVKA_ERR_AUTH_PROFILES_KEY: .*not the key the cluster's profiles are sealed with/],
  ] as const) {
    const C = await withKey(key, () => startNode('cp-c'))
    try {
      const health = await json(`${C.url}/health`)
      const component = health.body.runtime.components['plugin:auth-profiles']
      assert.equal(component.status, 'error')
      assert.match(component.last_error, why)
      assert.equal(health.body.status, 'degraded')
      const list = await json(`${C.url}/api/auth/profiles`, { headers: bearer(ADMIN) })
      assert.equal(list.status, 404, 'a plugin that failed its setup declared no routes')
      assert.match(C.output(), /REVKA_ERR_AUTH_PROFILES_KEY/, 'the operator reads why in the log')
    } finally {
      C.signal('SIGTERM')
      await C.exited
    }
  }
})
