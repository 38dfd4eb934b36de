/**
 * The job store: SQLite in the plugin's private dir (`<state>/plugins/cron/jobs.db`), WAL with
 * `synchronous = FULL`, so a job the API acknowledged is on disk before the 200 (a SIGKILL or power
 * loss right after cannot take it back). Tables follow the reference (`cron_jobs`, `cron_runs`
 * with a cascading foreign key); run history is pruned per job to `max_run_history` rows.
 */
import type BetterSqlite3 from 'better-sqlite3'
import { ensurePrivateFile } from '@revka/plugin-sdk'
import type { Schedule } from './schedule.js'

export type JobType = 'agent' | 'shell' | 'workflow'
export interface Delivery {
  mode: 'none' | 'announce'
  channel: string | null
  to: string | null
  best_effort: boolean
}

export interface Job {
  id: string
  name: string | null
  schedule: Schedule
  command: string
  /** shell jobs: the program and its arguments (never a shell string) */
  argv: string[] | null
  prompt: string | null
  job_type: JobType
  session_target: 'main' | 'isolated'
  model: string | null
  allowed_tools: string[] | null
  enabled: boolean
  delivery: Delivery
  delete_after_run: boolean
  source: 'imperative' | 'declarative' | 'workflow'
  /** the credential that created it (quota key); null for declarative jobs */
  owner: string | null
  created_at: number
  next_run: number | null
  last_run: number | null
  last_status: 'ok' | 'error' | null
  last_output: string | null
}

export interface Run {
  id: number
  job_id: string
  started_at: number
  finished_at: number
  status: 'ok' | 'error'
  output: string | null
  duration_ms: number
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cron_jobs (
  id TEXT PRIMARY KEY, doc TEXT NOT NULL, owner TEXT, enabled INTEGER NOT NULL,
  next_run INTEGER, created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS cron_jobs_due ON cron_jobs(enabled, next_run);
CREATE INDEX IF NOT EXISTS cron_jobs_owner ON cron_jobs(owner);
CREATE TABLE IF NOT EXISTS cron_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL REFERENCES cron_jobs(id) ON DELETE CASCADE,
  started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL, status TEXT NOT NULL,
  output TEXT, duration_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS cron_runs_job ON cron_runs(job_id, id);
`

type Row = { doc: string; next_run: number | null }
/** the `next_run` column is authoritative: the scheduler moves it without rewriting the document */
const fromRow = (r: Row): Job => Object.assign(JSON.parse(r.doc) as Job, { next_run: r.next_run })

export class JobStore {
  private readonly stmts: Record<string, BetterSqlite3.Statement>
  private readonly runStmts: Record<string, BetterSqlite3.Statement>

  /**
   * Two connections to one file: `db` (synchronous = FULL) for what the API acknowledges — job
   * creates, patches, deletes and the scheduler's next fire times, fsynced before they return —
   * and `runs` (synchronous = NORMAL) for run history and last_* results, which a crash may lose
   * the last few of (the job then simply shows its previous result) without a fsync per run.
   */
  private constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly runsDb: BetterSqlite3.Database,
  ) {
    this.stmts = {
      get: db.prepare('SELECT doc, next_run FROM cron_jobs WHERE id = ?'),
      put: db.prepare(
        'INSERT INTO cron_jobs (id, doc, owner, enabled, next_run, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, owner = excluded.owner, enabled = excluded.enabled, next_run = excluded.next_run',
      ),
      setNext: db.prepare('UPDATE cron_jobs SET next_run = ? WHERE id IN (SELECT value FROM json_each(?))'),
      due: db.prepare('SELECT doc, next_run FROM cron_jobs WHERE enabled = 1 AND next_run IS NOT NULL AND next_run <= ? ORDER BY next_run LIMIT ?'),
      nextDue: db.prepare('SELECT MIN(next_run) AS t FROM cron_jobs WHERE enabled = 1 AND next_run IS NOT NULL'),
    }
    this.runStmts = {
      get: runsDb.prepare('SELECT doc, next_run FROM cron_jobs WHERE id = ?'),
      result: runsDb.prepare('UPDATE cron_jobs SET doc = ?, enabled = ? WHERE id = ?'),
      insert: runsDb.prepare('INSERT INTO cron_runs (job_id, started_at, finished_at, status, output, duration_ms) VALUES (?, ?, ?, ?, ?, ?)'),
      prune: runsDb.prepare('DELETE FROM cron_runs WHERE job_id = ? AND id NOT IN (SELECT id FROM cron_runs WHERE job_id = ? ORDER BY id DESC LIMIT ?)'),
    }
  }

  /** better-sqlite3 is imported here so the plugin's setup stays light */
  static async open(file: string): Promise<JobStore> {
    ensurePrivateFile(file)
    const { default: Database } = await import('better-sqlite3')
    const open = (sync: 'FULL' | 'NORMAL') => {
      const db = new Database(file)
      db.pragma('journal_mode = WAL')
      db.pragma(`synchronous = ${sync}`)
      db.pragma('foreign_keys = ON')
      db.pragma('busy_timeout = 5000')
      return db
    }
    const db = open('FULL')
    db.exec(SCHEMA)
    return new JobStore(db, open('NORMAL'))
  }

  close(): void {
    this.runsDb.close()
    this.db.close()
  }

  get(id: string): Job | undefined {
    const r = this.stmts.get.get(id) as Row | undefined
    return r ? fromRow(r) : undefined
  }

  /** every job, ordered by next_run (nulls last) as GET /api/cron lists them */
  list(): Job[] {
    const rows = this.db.prepare('SELECT doc, next_run FROM cron_jobs ORDER BY next_run IS NULL, next_run, created_at').all() as Row[]
    return rows.map(fromRow)
  }

  count(owner?: string): number {
    const r =
      owner === undefined
        ? this.db.prepare('SELECT COUNT(*) AS n FROM cron_jobs').get()
        : this.db.prepare('SELECT COUNT(*) AS n FROM cron_jobs WHERE owner = ?').get(owner)
    return (r as { n: number }).n
  }

  /** insert or replace (durable when this returns) */
  put(j: Job): void {
    this.stmts.put.run(j.id, JSON.stringify(j), j.owner, j.enabled ? 1 : 0, j.next_run, j.created_at)
  }

  /** move the next fire time of many jobs in one commit (the scheduler, before they run) */
  setNextRuns(jobs: Job[]): void {
    // one statement per distinct next time (jobs due together mostly share it)
    const byNext = new Map<number | null, string[]>()
    for (const j of jobs) {
      const ids = byNext.get(j.next_run)
      if (ids) ids.push(j.id)
      else byNext.set(j.next_run, [j.id])
    }
    this.db.transaction(() => {
      for (const [next, ids] of byNext) this.stmts.setNext.run(next, JSON.stringify(ids))
    })()
  }

  /** the same as `put` for many jobs in one commit (one fsync) */
  putMany(jobs: Job[]): void {
    this.db.transaction(() => {
      for (const j of jobs) this.put(j)
    })()
  }

  /** jobs whose id starts with `prefix` (a range scan on the primary key) */
  withPrefix(prefix: string): Job[] {
    // the first string after every string that starts with `prefix`
    const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)
    return (this.db.prepare('SELECT doc, next_run FROM cron_jobs WHERE id >= ? AND id < ?').all(prefix, end) as Row[]).map(fromRow)
  }

  /** delete `remove` and insert or replace `put` in one commit */
  replace(remove: string[], put: Job[]): void {
    this.db.transaction(() => {
      for (const id of remove) this.db.prepare('DELETE FROM cron_jobs WHERE id = ?').run(id)
      for (const j of put) this.put(j)
    })()
  }

  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM cron_jobs WHERE id = ?').run(id).changes > 0
  }

  /** enabled jobs due at `now`, oldest first */
  due(now: number, limit: number): Job[] {
    return (this.stmts.due.all(now, limit) as Row[]).map(fromRow)
  }

  /** when the next enabled job is due, or null */
  nextDue(): number | null {
    return (this.stmts.nextDue.get() as { t: number | null }).t
  }

  /**
   * Record a finished run, keep only the newest `keep` runs of that job, and apply `update` to the
   * job's document (last_run, last_status…; its next_run is left alone), in one commit. false when
   * the job was deleted meanwhile (nothing is written).
   */
  addRun(run: Omit<Run, 'id'>, keep: number, update: (j: Job) => void): boolean {
    return this.runsDb.transaction(() => {
      const r = this.runStmts.get.get(run.job_id) as Row | undefined
      if (!r) return false
      this.runStmts.insert.run(run.job_id, run.started_at, run.finished_at, run.status, run.output, run.duration_ms)
      this.runStmts.prune.run(run.job_id, run.job_id, Math.max(1, keep))
      const j = fromRow(r)
      update(j)
      this.runStmts.result.run(JSON.stringify(j), j.enabled ? 1 : 0, j.id)
      return true
    })()
  }

  /** newest first */
  runs(jobId: string, limit: number): Run[] {
    return this.db
      .prepare('SELECT id, job_id, started_at, finished_at, status, output, duration_ms FROM cron_runs WHERE job_id = ? ORDER BY id DESC LIMIT ?')
      .all(jobId, limit) as Run[]
  }
}
