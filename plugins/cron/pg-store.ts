/**
 * Cluster mode (issue 18): the job store on the cluster's PostgreSQL (the kernel's `shared-sql`
 * service), so a job created, edited or deleted on any node is the job every node's scheduler
 * reads, and its run history — recorded once, by the node that won the fire's claim — reads the
 * same everywhere. Same tables and document layout as the SQLite store (store.ts): `cron_jobs`
 * keeps the job as a JSON document with the columns the scheduler scans (`next_run` is
 * authoritative), `cron_runs` cascades from it.
 *
 * Concurrency: quota-checked creates and workflow trigger syncs take one transaction-scoped
 * advisory lock, so two nodes creating at once cannot pass `max_jobs` together; edits and run
 * records lock the job's row; the scheduler's next-run write is a compare-and-set from the due
 * time it read, so a slower node can never move a job back. A lost engine rejects with the
 * service's 503 `cluster_unavailable`, which the routes let through.
 */
import type { SharedSqlService, SqlMigration, SqlQueryable } from '@revka/plugin-sdk'
import type { CronStore } from './cron-store.js'
import type { Job, Run } from './store.js'

export const MIGRATIONS: ReadonlyArray<SqlMigration> = [
  {
    id: 1,
    name: 'cron jobs and run history',
    sql: `
CREATE TABLE cron_jobs (
  id TEXT PRIMARY KEY, doc TEXT NOT NULL, owner TEXT, enabled BOOLEAN NOT NULL,
  next_run BIGINT, created_at BIGINT NOT NULL
);
CREATE INDEX cron_jobs_due ON cron_jobs(next_run) WHERE enabled AND next_run IS NOT NULL;
CREATE INDEX cron_jobs_owner ON cron_jobs(owner);
CREATE TABLE cron_runs (
  id BIGSERIAL PRIMARY KEY,
  job_id TEXT NOT NULL REFERENCES cron_jobs(id) ON DELETE CASCADE,
  started_at BIGINT NOT NULL, finished_at BIGINT NOT NULL, status TEXT NOT NULL,
  output TEXT, duration_ms BIGINT NOT NULL
);
CREATE INDEX cron_runs_job ON cron_runs(job_id, id);`,
  },
  {
    id: 2,
    name: 'the cluster-wide run history limit',
    sql: 'CREATE TABLE cron_settings (id INTEGER PRIMARY KEY CHECK (id = 1), max_run_history INTEGER NOT NULL);',
  },
  { id: 3, name: 'a running job is leased to its node', sql: 'ALTER TABLE cron_jobs ADD COLUMN running_until BIGINT;' },
  { id: 4, name: 'leases by their end', sql: 'CREATE INDEX cron_jobs_running ON cron_jobs(running_until) WHERE running_until IS NOT NULL;' },
]

/** the (int, int) advisory-lock key space is apart from the kernel's single-bigint keys; 0x63726f6e is "cron" */
const QUOTA_LOCK = 'SELECT pg_advisory_xact_lock(1668440942, 1)'
const COLS = 'doc, next_run'
const PUT =
  'INSERT INTO cron_jobs (id, doc, owner, enabled, next_run, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, owner = excluded.owner, enabled = excluded.enabled, next_run = excluded.next_run'

type Row = { doc: string; next_run: string | number | null }
/** BIGINT comes back from pg as a string */
const num = (v: string | number | null): number | null => (v === null ? null : Number(v))
const fromRow = (r: Row): Job => Object.assign(JSON.parse(r.doc) as Job, { next_run: num(r.next_run) })
const put = (q: SqlQueryable, j: Job) => q.query(PUT, [j.id, JSON.stringify(j), j.owner, j.enabled, j.next_run, j.created_at])
const countOf = async (q: SqlQueryable, owner?: string): Promise<number> => {
  const r =
    owner === undefined ? await q.query('SELECT COUNT(*) AS n FROM cron_jobs') : await q.query('SELECT COUNT(*) AS n FROM cron_jobs WHERE owner = $1', [owner])
  return Number(r.rows[0].n)
}

/**
 * `leaseMs`: how long a running job stays off every node's due set without a renewal (the
 * running node renews at each tick, at most `poll_ms` apart)
 */
export async function openPgCronStore(sql: SharedSqlService, leaseMs: number): Promise<CronStore> {
  await sql.migrate('cron', MIGRATIONS)
  const jobs = async (text: string, params: unknown[]) => (await sql.query<Row>(text, params)).rows.map(fromRow)
  return {
    backend: 'postgres',
    sharedKeep: {
      get: async () => {
        const r = await sql.query<{ n: number }>('SELECT max_run_history AS n FROM cron_settings WHERE id = 1')
        return r.rows[0]?.n ?? null
      },
      set: async (n) => {
        await sql.query(
          'INSERT INTO cron_settings (id, max_run_history) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET max_run_history = excluded.max_run_history',
          [n],
        )
      },
    },
    get: async (id) => (await jobs(`SELECT ${COLS} FROM cron_jobs WHERE id = $1`, [id]))[0],
    list: () => jobs(`SELECT ${COLS} FROM cron_jobs ORDER BY next_run IS NULL, next_run, created_at`, []),
    count: (owner) => countOf(sql, owner),
    create: (job, q) =>
      sql.transaction(async (tx) => {
        await tx.query(QUOTA_LOCK)
        if ((await countOf(tx)) >= q.maxJobs) return 'max_jobs'
        if ((await countOf(tx, job.owner ?? undefined)) >= q.perCredential) return 'per_credential'
        await put(tx, job)
        return 'ok'
      }),
    put: async (job) => {
      await put(sql, job)
    },
    patch: (id, edit) =>
      sql.transaction(async (tx) => {
        const r = (await tx.query<Row>(`SELECT ${COLS} FROM cron_jobs WHERE id = $1 FOR UPDATE`, [id])).rows[0]
        if (!r) return undefined
        const next = edit(fromRow(r))
        await put(tx, next)
        return next
      }),
    delete: async (id) => (await sql.query('DELETE FROM cron_jobs WHERE id = $1', [id])).rowCount > 0,
    due: (now, limit) =>
      jobs(
        `SELECT ${COLS} FROM cron_jobs WHERE enabled AND next_run IS NOT NULL AND next_run <= $1 AND (running_until IS NULL OR running_until <= $1) ORDER BY next_run LIMIT $2`,
        [now, limit],
      ),
    // a running job is due again no sooner than its lease ends: its node's scheduler must not spin on it
    nextDue: async (now) =>
      num(
        (
          await sql.query(
            // two index reads (the due index in order, the few leases by their end), never a scan of every job
            `SELECT LEAST(
               (SELECT MIN(next_run) FROM cron_jobs WHERE enabled AND next_run IS NOT NULL AND (running_until IS NULL OR running_until <= $1)),
               (SELECT MIN(GREATEST(next_run, running_until)) FROM cron_jobs WHERE running_until > $1 AND enabled AND next_run IS NOT NULL)
             ) AS t`,
            [now],
          )
        ).rows[0].t,
      ),
    async advance(moves, runFrom) {
      if (!moves.length) return new Set()
      // one statement for the whole batch; only rows still at the time this node read are moved
      const r = await sql.query<{ id: string }>(
        'UPDATE cron_jobs c SET next_run = v.next, running_until = $4 FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v(id, old, next) WHERE c.id = v.id AND c.next_run = v.old RETURNING c.id',
        [moves.map((m) => m.job.id), moves.map((m) => m.from), moves.map((m) => m.job.next_run), runFrom === undefined ? null : runFrom + leaseMs],
      )
      return new Set(r.rows.map((x) => x.id))
    },
    running: {
      renew: async (ids, now) => {
        // a lease released meanwhile (the run ended as the renewal was on its way) stays released
        await sql.query('UPDATE cron_jobs SET running_until = $2 WHERE id = ANY($1::text[]) AND running_until IS NOT NULL', [ids, now + leaseMs])
      },
      release: async (job) => {
        await sql.query('UPDATE cron_jobs SET running_until = NULL WHERE id = $1 AND next_run IS NOT DISTINCT FROM $2', [job.id, job.next_run])
      },
    },
    addRun: (run, keep, update) =>
      sql.transaction(async (tx) => {
        const r = (await tx.query<Row>(`SELECT ${COLS} FROM cron_jobs WHERE id = $1 FOR UPDATE`, [run.job_id])).rows[0]
        if (!r) return false // deleted while it ran
        await tx.query('INSERT INTO cron_runs (job_id, started_at, finished_at, status, output, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)', [
          run.job_id,
          run.started_at,
          run.finished_at,
          run.status,
          run.output,
          run.duration_ms,
        ])
        // the limit set last on any node; this node's config.toml until one was set
        await tx.query(
          'DELETE FROM cron_runs WHERE job_id = $1 AND id NOT IN (SELECT id FROM cron_runs WHERE job_id = $1 ORDER BY id DESC LIMIT COALESCE((SELECT max_run_history FROM cron_settings WHERE id = 1), $2))',
          [run.job_id, Math.max(1, keep)],
        )
        const j = fromRow(r)
        update(j)
        await tx.query('UPDATE cron_jobs SET doc = $2, enabled = $3 WHERE id = $1', [j.id, JSON.stringify(j), j.enabled])
        return true
      }),
    async runs(jobId, limit) {
      const r = await sql.query<Record<keyof Run, string>>(
        'SELECT id, job_id, started_at, finished_at, status, output, duration_ms FROM cron_runs WHERE job_id = $1 ORDER BY id DESC LIMIT $2',
        [jobId, limit],
      )
      return r.rows.map((x) => ({
        id: Number(x.id),
        job_id: x.job_id,
        started_at: Number(x.started_at),
        finished_at: Number(x.finished_at),
        status: x.status as Run['status'],
        output: x.output,
        duration_ms: Number(x.duration_ms),
      }))
    },
    triggers: (prefix, ids, plan) =>
      sql.transaction(async (tx) => {
        // the same lock as create: a sync adding jobs counts against max_jobs with every other writer
        await tx.query(QUOTA_LOCK)
        const own = (await tx.query<Row>(`SELECT ${COLS} FROM cron_jobs WHERE starts_with(id, $1)`, [prefix])).rows.map(fromRow)
        const taken = (await tx.query<{ id: string }>('SELECT id FROM cron_jobs WHERE id = ANY($1::text[])', [ids])).rows.map((x) => x.id)
        const w = plan({ withPrefix: own, taken: new Set(taken), count: await countOf(tx) })
        if (w.remove.length) await tx.query('DELETE FROM cron_jobs WHERE id = ANY($1::text[])', [w.remove])
        for (const j of w.put) await put(tx, j)
        return w.value
      }),
    // the pool is the kernel's: nothing of ours to close
    close: async () => {},
  }
}
