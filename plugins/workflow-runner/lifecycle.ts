/**
 * Continuing stored runs: `resume` (a person answered a paused step), `retry` (a failed or
 * cancelled run restarts at the step that failed, keeping what completed), deadlines of paused
 * steps, and crash recovery at start — every run a dead process left `pending`/`running` is
 * resumed from its last checkpoint, or, past `max_restarts` or with `on_restart: "fail"`, marked
 * failed with a message saying it can be retried. None is left behind silently.
 */
import { httpError, RevkaError, type WorkflowRunnerService } from '@revka/plugin-sdk'
import { Execution } from './engine.js'
import { RunnerCore, type ServiceDeps } from './service.js'
import type { RunRow } from './run-store.js'

export interface RecoveryOptions {
  onRestart: 'resume' | 'fail'
  maxRestarts: number
}

export class WorkflowRunner extends RunnerCore implements WorkflowRunnerService {
  private readonly deadlines = new Map<string, NodeJS.Timeout>()
  constructor(
    d: ServiceDeps,
    private readonly recovery: RecoveryOptions,
  ) {
    super(d)
  }

  async resume(runId: string, decision: { approved: boolean; feedback?: string }): Promise<void> {
    let row = this.mustGet(runId)
    const live = this.live.get(runId)
    // a run that has just paused is still announcing it (channel delivery is bounded): let it finish
    if (live && row.status === 'paused') {
      await live.done
      row = this.mustGet(runId)
    }
    if (row.status !== 'paused' || !row.checkpoint.paused || this.live.has(runId)) {
      // an HttpError reaches the client as it is (409); anything else is the contract's 502
      throw httpError(409, 'run_not_paused', `run '${runId}' is ${row.status}, not waiting for an answer`)
    }
    const def = this.definition(row)
    this.clearDeadline(runId)
    const exec = new Execution(row, def, this.d.host)
    const verdict = exec.decide(decision)
    // a rejection with nowhere to go ends the run (contract: "else cancels")
    if (verdict.continue) this.launch(exec)
    else exec.end('cancelled', verdict.error ?? 'rejected')
  }

  async retry(runId: string): Promise<{ run_id: string; status: string; resumed_from?: string }> {
    const row = this.mustGet(runId)
    if (row.status !== 'failed' && row.status !== 'cancelled') {
      throw new RevkaError('REVKA_ERR_RUN_NOT_RETRYABLE', `run '${runId}' is ${row.status}; only a failed or cancelled run can be retried`)
    }
    if (this.live.size >= this.d.limits.maxConcurrentRuns) {
      throw new RevkaError(
        'REVKA_ERR_RUN_QUOTA',
        `${this.live.size} runs are executing (max_concurrent_runs ${this.d.limits.maxConcurrentRuns}); retry when one finishes`,
      )
    }
    const def = this.definition(row)
    const steps = this.d.store.steps(runId)
    const failed = row.checkpoint.failed_step ?? steps.find((s) => s.result.status === 'failed')?.step_id
    const cp = { ...row.checkpoint, steps_executed: 0, elapsed_ms: 0 }
    delete cp.failed_step
    delete cp.paused
    this.d.store.update(runId, { status: 'pending', error: '', completed_at: '', checkpoint: cp })
    const exec = new Execution(this.mustGet(runId), def, this.d.host)
    if (failed) exec.resetForRetry(failed)
    this.launch(exec)
    return { run_id: runId, status: 'running', ...(failed ? { resumed_from: failed } : {}) }
  }

  private definition(row: RunRow) {
    const { def, validation } = this.parse(row.yaml)
    if (!def)
      throw new RevkaError('REVKA_ERR_WORKFLOW_INVALID', `the run's workflow no longer validates: ${validation.errors.map((e) => e.message).join('; ')}`)
    return def
  }

  protected override onSettled(runId: string): void {
    const row = this.d.store.get(runId)
    if (row?.status === 'paused') this.armDeadline(row)
  }

  private clearDeadline(runId: string): void {
    const t = this.deadlines.get(runId)
    if (t) {
      clearTimeout(t)
      this.deadlines.delete(runId)
    }
  }

  /** a paused step with a `timeout` fails the run when nobody answers in time */
  private armDeadline(row: RunRow): void {
    const p = row.checkpoint.paused
    if (!p?.expires_at) return
    this.clearDeadline(row.run_id)
    const t = setTimeout(() => this.expire(row.run_id, p.step_id), Math.max(0, p.expires_at - this.d.now()))
    t.unref?.()
    this.deadlines.set(row.run_id, t)
  }

  private expire(runId: string, stepId: string): void {
    this.deadlines.delete(runId)
    const row = this.d.store.get(runId)
    if (row?.status !== 'paused' || row.checkpoint.paused?.step_id !== stepId || this.live.has(runId)) return
    this.endPaused(row, `no answer to step '${stepId}' within its timeout`)
  }

  private endPaused(row: RunRow, error: string): void {
    const { def } = this.parse(row.yaml)
    if (!def) {
      this.d.store.update(row.run_id, { status: 'failed', error, completed_at: new Date(this.d.now()).toISOString() })
      return
    }
    new Execution(row, def, this.d.host).failStep(row.checkpoint.paused!.step_id, error)
  }

  /** at start: the runs a dead process left behind, and the deadlines of paused ones */
  recover(): { resumed: string[]; failed: string[] } {
    const out = { resumed: [] as string[], failed: [] as string[] }
    for (const row of this.d.store.unfinished()) {
      const { def, validation } = this.parse(row.yaml)
      const from = row.checkpoint.seq ? `checkpoint ${row.checkpoint.seq}` : 'the start'
      const why = !def
        ? `the workflow no longer validates (${validation.errors[0]?.message ?? 'invalid'})`
        : this.recovery.onRestart === 'fail'
          ? 'on_restart is "fail"'
          : row.restarts >= this.recovery.maxRestarts
            ? `it was resumed ${row.restarts} times already (max_restarts ${this.recovery.maxRestarts})`
            : null
      if (why || !def) {
        // the first step the checkpoint has no result for is where a retry picks up
        const done = new Set(
          this.d.store
            .steps(row.run_id)
            .filter((x) => x.result.status !== 'running')
            .map((x) => x.step_id),
        )
        const next = def?.steps.find((st) => !done.has(st.id))?.id
        const checkpoint = next ? { ...row.checkpoint, failed_step: next } : row.checkpoint
        this.d.store.update(row.run_id, {
          status: 'failed',
          checkpoint,
          completed_at: new Date(this.d.now()).toISOString(),
          error: `the gateway stopped while this run was ${row.status}; not resumed because ${why}. Retry it to continue from ${next ? `step '${next}'` : 'its checkpoint'}.`,
        })
        this.d.host.emit('workflow_run', { run_id: row.run_id, workflow_name: row.workflow_name, status: 'failed', recovered: true })
        out.failed.push(row.run_id)
        continue
      }
      this.d.store.update(row.run_id, { restarts: row.restarts + 1 })
      this.d.host.log.info({ run: row.run_id, from }, 'resuming a workflow run interrupted by a stop')
      this.start({ ...row, restarts: row.restarts + 1 }, def)
      out.resumed.push(row.run_id)
    }
    for (const row of this.d.store.paused()) {
      if (row.checkpoint.paused?.expires_at && row.checkpoint.paused.expires_at <= this.d.now())
        this.endPaused(row, `no answer to step '${row.checkpoint.paused.step_id}' within its timeout (expired while the gateway was down)`)
      else this.armDeadline(row)
    }
    return out
  }

  /** at stop: running executions are interrupted (they stay `running`, resumed at next start) */
  async shutdown(): Promise<void> {
    for (const t of this.deadlines.values()) clearTimeout(t)
    this.deadlines.clear()
    const waits = [...this.live.values()].map((l) => {
      l.exec.stop('shutdown')
      return l.done
    })
    await Promise.allSettled(waits)
  }
}
