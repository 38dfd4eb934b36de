/**
 * The scheduler (daemon mode only). One timer, armed for the earliest `next_run` (capped at
 * `poll_ms`, so a clock moved by a test or an NTP step is noticed): when it fires, due jobs are
 * taken in batches; each batch's next fire times (computed from now) are committed (fsynced)
 * before its jobs start, so a crash never fires a job twice for one due time; then they run — at most
 * `max_concurrent` at once, the rest queued in due order. Computing the next time from now is what
 * collapses a missed series into one run, both after downtime (catch-up) and under load. A job
 * still running when it comes due again is not started twice.
 */
import type { Logger } from '@revka/plugin-sdk'
import { nextAfter } from './schedule.js'
import type { Job, JobStore } from './store.js'

export interface SchedulerOptions {
  store: JobStore
  now: () => number
  pollMs: number
  maxConcurrent: number
  /** jobs taken per tick */
  batch: number
  run: (job: Job, scheduledAt: number) => Promise<unknown>
  log: Logger
}

export class Scheduler {
  private timer?: NodeJS.Timeout
  private running = new Set<string>()
  private queue: Array<{ job: Job; at: number }> = []
  private active = 0
  private stopped = false
  private idle: Array<() => void> = []
  /** fires since start, and the last tick's time (health, status) */
  fired = 0
  lastTickAt: number | null = null

  constructor(private readonly o: SchedulerOptions) {}

  /**
   * `catchUp`: jobs that came due while no daemon ran fire once now; otherwise they are moved to
   * their next time after now without running.
   */
  start(catchUp: boolean): void {
    if (!catchUp) {
      const now = this.o.now()
      const skipped = this.o.store.due(now, Number.MAX_SAFE_INTEGER)
      for (const j of skipped) j.next_run = nextAfter(j.schedule, now, j.last_run)
      if (skipped.length) {
        this.o.store.setNextRuns(skipped)
        this.o.log.info({ skipped: skipped.length }, 'cron: catch_up_on_startup is off; missed jobs moved to their next time')
      }
    }
    this.tick()
  }

  /** look again now (a job was created or changed) */
  kick(): void {
    if (this.stopped) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => this.tick(), 0)
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

  private tick(): void {
    this.timer = undefined
    if (this.stopped) return
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
      for (;;) {
        const due = this.o.store.due(now, this.o.batch).filter((j) => !this.running.has(j.id))
        if (!due.length) break
        for (const j of due) {
          const at = j.next_run ?? now
          j.next_run = nextOf(j)
          this.running.add(j.id)
          this.queue.push({ job: j, at })
        }
        this.o.store.setNextRuns(due)
        // each batch starts as soon as its next times are committed, not after the whole backlog
        this.pump()
        if (due.length < this.o.batch) break
      }
    } catch (e) {
      this.o.log.error({ err: (e as Error).message }, 'REVKA_ERR_CRON_TICK: could not read due jobs')
    }
    this.pump()
    this.arm()
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
          if (this.stopped && !this.active) for (const r of this.idle.splice(0)) r()
          else this.pump()
        })
    }
  }

  private arm(): void {
    if (this.stopped) return
    const next = this.o.store.nextDue()
    // at least 5 ms: a due job still running from its last fire must not spin the loop
    const wait = next === null ? this.o.pollMs : Math.min(this.o.pollMs, Math.max(5, next - this.o.now()))
    this.timer = setTimeout(() => this.tick(), wait)
    this.timer.unref()
  }
}
