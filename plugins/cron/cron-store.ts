/**
 * The job store as the routes, the scheduler, the runner and the heartbeat see it: asynchronous,
 * because in cluster mode (issue 18) the jobs live in the cluster's PostgreSQL (pg-store.ts). On a
 * single node it is the SQLite `JobStore` (store.ts) behind this adapter: every method does the
 * same synchronous work as before and only answers through a settled promise.
 *
 * Writes that must be right when several nodes act at once are whole operations here, not a read
 * followed by a write in the caller: `create` checks the quota and inserts under one lock,
 * `patch` edits the row it locked, `advance` moves a next fire time only from the value the
 * scheduler read (so it never goes backwards), `addRun` records and prunes in one transaction.
 */
import type { Job, JobStore, Run } from './store.js'

export interface JobQuota {
  maxJobs: number
  perCredential: number
}

/** what a workflow's trigger sync needs to see, read in the same transaction as its writes */
export interface TriggerView {
  /** jobs whose id starts with the workflow's prefix */
  withPrefix: Job[]
  /** ids (of the ones asked about) that exist */
  taken: Set<string>
  /** every job in the store */
  count: number
}

export interface TriggerWrite<T> {
  remove: string[]
  put: Job[]
  value: T
}

export interface CronStore {
  readonly backend: 'sqlite' | 'postgres'
  /** the synchronous SQLite store (single node), for the callers whose SDK contract is synchronous */
  readonly sync?: JobStore
  /**
   * cluster mode: `max_run_history` kept in the shared store, so every node prunes to the limit
   * set last on any node (on one node it is config.toml's alone)
   */
  readonly sharedKeep?: { get(): Promise<number | null>; set(n: number): Promise<void> }
  get(id: string): Promise<Job | undefined>
  /** every job, ordered by next_run (nulls last), then created_at */
  list(): Promise<Job[]>
  count(owner?: string): Promise<number>
  /** insert `job` unless the store already holds `maxJobs`, or its owner `perCredential`; atomic across nodes */
  create(job: Job, quota: JobQuota): Promise<'ok' | 'max_jobs' | 'per_credential'>
  /** insert or replace (the heartbeat's reconcile) */
  put(job: Job): Promise<void>
  /** apply `edit` to the job as stored (locked until written); undefined when there is none; `edit` may throw */
  patch(id: string, edit: (cur: Job) => Job): Promise<Job | undefined>
  delete(id: string): Promise<boolean>
  /** enabled jobs due at `now`, oldest first */
  due(now: number, limit: number): Promise<Job[]>
  /** when the next enabled job is due (or, cluster mode, a running one's lease ends), or null */
  nextDue(now: number): Promise<number | null>
  /**
   * Set each job's next_run to `job.next_run` where it is still `from` (the due time the scheduler
   * read); answers the ids moved. A job another node moved first, or a user edited meanwhile, is
   * left as it is and not in the answer. `runFrom`: the moved jobs are about to run on this node
   * (cluster mode: leased to it from then, see `running`).
   */
  advance(moves: Array<{ job: Job; from: number }>, runFrom?: number): Promise<Set<string>>
  /**
   * Cluster mode: a job running on one node is not due on any (as a single node's scheduler skips
   * its own running jobs). The lease `advance` takes is renewed by the running node's ticks and
   * released when the run ends; a node that dies holds it until it runs out.
   */
  readonly running?: {
    renew(ids: string[], now: number): Promise<void>
    /** `job` as this node advanced it: a lease a later fire took (its next_run moved on) is left alone */
    release(job: Job): Promise<void>
  }
  /** record a run, keep the job's newest `keep` (or the shared limit), apply `update` to the job; false when it was deleted */
  addRun(run: Omit<Run, 'id'>, keep: number, update: (j: Job) => void): Promise<boolean>
  /** newest first */
  runs(jobId: string, limit: number): Promise<Run[]>
  /** read a TriggerView for `prefix`/`ids`, then delete and put what `plan` answers, as one commit */
  triggers<T>(prefix: string, ids: string[], plan: (v: TriggerView) => TriggerWrite<T>): Promise<T>
  close(): Promise<void>
}

/** the TriggerView of a SQLite store (also what the synchronous trigger service reads) */
export function sqliteTriggerView(s: JobStore, prefix: string, ids: string[]): TriggerView {
  return { withPrefix: s.withPrefix(prefix), taken: new Set(ids.filter((id) => s.get(id))), count: s.count() }
}

export function sqliteCronStore(s: JobStore): CronStore {
  return {
    backend: 'sqlite',
    sync: s,
    get: async (id) => s.get(id),
    list: async () => s.list(),
    count: async (owner) => s.count(owner),
    async create(job, q) {
      if (s.count() >= q.maxJobs) return 'max_jobs'
      if (s.count(job.owner ?? undefined) >= q.perCredential) return 'per_credential'
      s.put(job) // durable (synchronous = FULL) before it resolves
      return 'ok'
    },
    put: async (job) => s.put(job),
    async patch(id, edit) {
      const cur = s.get(id)
      if (!cur) return undefined
      const next = edit(cur)
      s.put(next)
      return next
    },
    delete: async (id) => s.delete(id),
    due: async (now, limit) => s.due(now, limit),
    nextDue: async () => s.nextDue(),
    async advance(moves) {
      // one process writes this file (the kernel's daemon lock): what it read is what is stored
      const jobs = moves.map((m) => m.job)
      s.setNextRuns(jobs)
      return new Set(jobs.map((j) => j.id))
    },
    addRun: async (run, keep, update) => s.addRun(run, keep, update),
    runs: async (jobId, limit) => s.runs(jobId, limit),
    async triggers(prefix, ids, plan) {
      const w = plan(sqliteTriggerView(s, prefix, ids))
      s.replace(w.remove, w.put)
      return w.value
    },
    close: async () => s.close(),
  }
}
