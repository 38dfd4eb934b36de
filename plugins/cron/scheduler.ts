/**
 * The scheduler (daemon mode only). One timer, armed for the earliest `next_run` (capped at
 * `poll_ms`, so a clock moved by a test or an NTP step is noticed): when it fires, due jobs are
 * taken in batches; each batch's next fire times (computed from now) are committed (fsynced)
 * before its jobs start, so a crash never fires a job twice for one due time; then they run — at most
 * `max_concurrent` at once, the rest queued in due order. Computing the next time from now is what
 * collapses a missed series into one run, both after downtime (catch-up) and under load. A job
 * still running when it comes due again is not started twice.
 *
 * Cluster mode: the store is the cluster's PostgreSQL, and each node learns of jobs created,
 * edited or deleted on another node by polling — every tick reads the due set (indexed, `LIMIT
 * batch`) and the earliest next_run (index reads), and no node sleeps longer than `poll_ms` — so
 * the cost is bounded at two small queries per node per `poll_ms` (default 1 s; a third renews the
 * leases while the node runs jobs) whatever the job count, with no listener connection to lose. The fire time is moved with a compare-and-set (`advance`): the
 * node that moved it queues the run (and still claims it, cluster-claim.ts), the others skip it.
 * The move also leases the job to that node until the run ends (renewed at each tick), so a job
 * still running on one node is not started on another when it comes due again.
 */
import type { Logger } from '@revka/plugin-sdk'
import { nextAfter } from './schedule.js'
import type { CronStore } from './cron-store.js'
import type { Job } from './store.js'

export interface SchedulerOptions {
  store: CronStore
  now: () => number
  pollMs: number
  maxConcurrent: number
  /** jobs taken per tick */
  batch: number
  run: (job: Job, scheduledAt: number) => Promise<unknown>
  log: Logger
  /**
   * catch-up off: only jobs due longer ago than this are moved without running. 0 on one node;
   * in cluster mode a node starting beside running ones leaves a fire that is due right now to
   * their schedulers (they take anything due within their last poll)
   */
  startGraceMs?: number
}

export class Scheduler {
  private timer?: NodeJS.Timeout
  private running = new Set<string>()
  private queue: Array<{ job: Job; at: number }> = []
  private active = 0
  private stopped = false
  private idle: Array<() => void> = []
  /** a tick is awaiting the store; a kick meanwhile asks for one more right after it */
  private ticking = false
  private again = false
  /** the store could not be read at the last tick: logged once, not every poll_ms */
  private failing = false
  /** fires since start, and the last tick's time (health, status) */
  fired = 0
  lastTickAt: number | null = null

  constructor(private readonly o: SchedulerOptions) {}

  /**
   * `catchUp`: jobs that came due while no daemon ran fire once now; otherwise they are moved to
   * their next time after now without running.
   */
  async start(catchUp: boolean): Promise<void> {
    if (!catchUp) {
      const now = this.o.now()
      const skipped = await this.o.store.due(now - (this.o.startGraceMs ?? 0), Number.MAX_SAFE_INTEGER)
      const moves = skipped.map((job) => ({ job, from: job.next_run! }))
      for (const j of skipped) j.next_run = nextAfter(j.schedule, now, j.last_run)
      if (skipped.length) {
        await this.o.store.advance(moves)
        this.o.log.info({ skipped: skipped.length }, 'cron: catch_up_on_startup is off; missed jobs moved to their next time')
      }
    }
    void this.tick()
  }

  /** look again now (a job was created or changed) */
  kick(): void {
    if (this.stopped) return
    if (this.ticking) {
      this.again = true
      return
    }
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => void this.tick(), 0)
  }

  /** stop firing; resolves when the runs in flight have finished */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.queue = []
    if (this.active) await new Promise<void>((r) => this.idle.push(r))
  }

  get inFlight(): number {
    return this.active + this.queue.length
  }

  private async tick(): Promise<void> {
    this.timer = undefined
    if (this.stopped) return
    this.ticking = true
    const now = this.o.now()
    this.lastTickAt = now
    // jobs due together mostly share an expression: croner computes each (expression, now) once
    const memo = new Map<string, number | null>()
    const nextOf = (j: Job): number | null => {
      if (j.schedule.kind !== 'cron') return nextAfter(j.schedule, now, j.last_run)
      const key = `${j.schedule.tz ?? ''}\u0000${j.schedule.expr}`
      let t = memo.get(key)
      if (t === undefined) memo.set(key, (t = nextAfter(j.schedule, now)))
      return t
    }
    try {
      // cluster mode: this node's running jobs stay leased to it (off the other nodes' due sets)
      if (this.o.store.running && this.running.size) await this.o.store.running.renew([...this.running], now)
      for (;;) {
        const read = await this.o.store.due(now, this.o.batch)
        const due = read.filter((j) => !this.running.has(j.id))
        if (!due.length || this.stopped) break
        const moves = due.map((job) => ({ job, from: job.next_run ?? now }))
        for (const j of due) j.next_run = nextOf(j)
        const moved = await this.o.store.advance(moves, now)
        for (const { job, from } of moves) {
          if (!moved.has(job.id)) continue
          this.running.add(job.id)
          this.queue.push({ job, at: from })
        }
        // each batch starts as soon as its next times are committed, not after the whole backlog
        this.pump()
        if (due.length < this.o.batch) break
      }
      if (this.failing) this.o.log.info('cron: the job store answers again')
      this.failing = false
    } catch (e) {
      // a lost PostgreSQL (cluster mode) fails every tick until it is back
      if (!this.failing) this.o.log.error({ err: (e as Error).message }, 'REVKA_ERR_CRON_TICK: could not read due jobs')
      this.failing = true
    }
    if (this.stopped) this.queue = []
    this.pump()
    await this.arm()
    this.ticking = false
    if (this.again) {
      this.again = false
      this.kick()
    }
  }

  private pump(): void {
    while (this.active < this.o.maxConcurrent && this.queue.length) {
      const { job, at } = this.queue.shift()!
      this.active++
      this.fired++
      this.o
        .run(job, at)
        .catch((e) => this.o.log.error({ job: job.id, err: (e as Error).message }, 'REVKA_ERR_CRON_RUN: a job run failed to record'))
        .finally(() => {
          this.active--
          this.running.delete(job.id)
          // a lost engine: the lease runs out by itself
          this.o.store.running?.release(job).catch(() => {})
          if (this.stopped && !this.active) for (const r of this.idle.splice(0)) r()
          else this.pump()
        })
    }
  }

  private async arm(): Promise<void> {
    if (this.stopped) return
    const next = await this.o.store.nextDue(this.o.now()).catch(() => null)
    if (this.stopped) return
    // at least 5 ms: a due job still running from its last fire must not spin the loop
    const wait = next === null ? this.o.pollMs : Math.min(this.o.pollMs, Math.max(5, next - this.o.now()))
    this.timer = setTimeout(() => void this.tick(), wait)
    this.timer.unref()
  }
}
