/**
 * Runs one credential may have unfinished at once (pending, running or paused) through the run
 * routes (`run/{name}`, `retry`). The runner bounds, over everyone, the runs executing at once
 * (`max_concurrent_runs`) and the runs stored (`max_run_history`, which prunes only finished runs).
 * A paused run counts against neither the first nor the pruning, so without this bound one token
 * could fill the history with approvals nobody answers and lock every other caller out.
 *
 * Counted in memory, per credential key (SDK `credentialKey`): after a restart the runs a
 * credential left paused are no longer counted against it; the runner's global bounds still hold.
 * A slot is reserved before the runner is asked, so concurrent requests of one token cannot all
 * slip under the cap while the runner loads the workflow.
 */
import { credentialKey, httpError, type RevkaRequest } from '@revka/plugin-sdk'

const TERMINAL = new Set(['completed', 'failed', 'cancelled'])
const RETRY_AFTER_SECS = 5

export interface RunSlot {
  /** the runner started (or restarted) this run: the slot now follows its status */
  commit(runId: string): void
  /** the runner refused: give the slot back */
  release(): void
}

export class RunQuota {
  /** credential key → run ids (or pending reservations) it holds */
  private readonly held = new Map<string, Set<string>>()
  private seq = 0

  constructor(
    private readonly max: number,
    private readonly status: (runId: string) => string | undefined,
  ) {}

  /** active runs of this credential, finished ones dropped */
  active(key: string): number {
    const set = this.held.get(key)
    if (!set) return 0
    for (const id of set) {
      if (id.startsWith('\0')) continue
      const s = this.status(id)
      if (s === undefined || TERMINAL.has(s)) set.delete(id)
    }
    if (!set.size) this.held.delete(key)
    return set.size
  }

  /** a slot for one more run of the request's credential, or 429 `run_quota_exceeded` */
  reserve(req: RevkaRequest): RunSlot {
    const key = credentialKey(req.auth)
    if (this.active(key) >= this.max) {
      throw httpError(
        429,
        'run_quota_exceeded',
        `this credential has ${this.max} workflow runs that have not finished (plugins.workflows.options.max_active_runs_per_credential); answer, cancel or wait for one`,
        { retryAfter: RETRY_AFTER_SECS },
      )
    }
    const token = `\0${++this.seq}`
    const set = this.held.get(key) ?? new Set<string>()
    set.add(token)
    this.held.set(key, set)
    const drop = () => {
      set.delete(token)
      if (!set.size && this.held.get(key) === set) this.held.delete(key)
    }
    return {
      commit: (runId) => {
        drop()
        this.attach(key, runId)
      },
      release: drop,
    }
  }

  private attach(key: string, runId: string): void {
    // a retried run may be held by another credential already; it counts once, for the latest caller
    for (const [k, ids] of this.held) {
      if (k !== key && ids.delete(runId) && !ids.size) this.held.delete(k)
    }
    const set = this.held.get(key) ?? new Set<string>()
    set.add(runId)
    this.held.set(key, set)
  }
}
