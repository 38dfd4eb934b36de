/**
 * One run's execution: top-level steps in waves (every step whose dependencies are done runs in
 * the same wave), a result and a checkpoint stored after each step, and the control steps —
 * `conditional` and `goto` jump (the target and everything after it run again), `human_*`
 * pause the run until `decide()`, a failed step fails the run. A step none of whose
 * dependencies ran (all skipped: a branch not taken) is skipped too. Cancel, shutdown and
 * `max_total_time` abort through one AbortController; on shutdown the run stays `running` with
 * its checkpoint, so the next start resumes it.
 */
import { RevkaError, type Logger } from '@revka/plugin-sdk'
import { evaluate } from './condition.js'
import { runForEach, runParallel } from './control.js'
import { ancestorClosure, descendantClosure } from './graph.js'
import { render, type Scope } from './interpolate.js'
import type { StepDef, StepResult, WorkflowDef } from './model.js'
import { capOutput, ERROR_CHARS, preview } from './redact.js'
import type { Checkpoint, RunRow, RunStore } from './run-store.js'
import { runLeaf, type LeafExecutor, type LeafRunner } from './step-runner.js'

export interface EngineHost {
  store: RunStore
  emit(type: string, fields: Record<string, unknown>): void
  executor(type: string): LeafExecutor
  env(name: string): string | undefined
  maxStepsPerRun: number
  log: Logger
  now(): number
  /** tell people a run waits for them (events, channels); answers what was delivered */
  announcePause(run: RunRow, step: StepDef, scope: Scope): Promise<Record<string, unknown>>
  sleep(ms: number, signal: AbortSignal): Promise<void>
}

type Abort = { kind: 'cancel' | 'shutdown' | 'deadline' }
interface Control {
  jump?: string
  skip?: string[]
  pause?: 'human_approval' | 'human_input'
}
const DONE = new Set(['completed', 'failed', 'skipped'])
const isDone = (r: StepResult | undefined) => !!r && DONE.has(r.status)

export function allIds(steps: StepDef[]): string[] {
  return steps.flatMap((s) => [s.id, ...allIds(s.children)])
}

export class Execution {
  readonly ac = new AbortController()
  readonly results: Record<string, StepResult> = {}
  readonly cp: Checkpoint
  private readonly top: StepDef[]
  private readonly total: number

  constructor(
    readonly run: RunRow,
    readonly def: WorkflowDef,
    private readonly h: EngineHost,
  ) {
    for (const s of h.store.steps(run.run_id)) this.results[s.step_id] = s.result
    this.cp = run.checkpoint
    const keep = run.request.target_step_id ? ancestorClosure(def.steps, run.request.target_step_id) : null
    this.top = keep ? def.steps.filter((s) => keep.has(s.id)) : def.steps
    this.total = allIds(this.top).length
  }

  stop(kind: Abort['kind']): void {
    if (!this.ac.signal.aborted) this.ac.abort({ kind } satisfies Abort)
  }

  scope(): Scope {
    return {
      run_id: this.run.run_id,
      inputs: this.run.request.inputs,
      results: this.results,
      loop: { iteration: this.cp.loop_iteration },
      rejection: this.cp.rejection,
      env: this.h.env,
    }
  }

  private completed(): number {
    return Object.values(this.results).filter((r) => r.status === 'completed' || r.status === 'skipped').length
  }

  private record(id: string, r: StepResult): void {
    this.results[id] = r
    this.cp.seq++
    this.h.store.putStep(this.run.run_id, id, r, this.cp, this.completed())
  }

  private reset(ids: Iterable<string>): void {
    const byId = new Map(this.top.map((s) => [s.id, s]))
    const all = [...ids].flatMap((id) => (byId.has(id) ? allIds([byId.get(id)!]) : [id]))
    for (const id of all) delete this.results[id]
    this.h.store.clearSteps(this.run.run_id, all)
  }

  emitRun(status: string, extra: Record<string, unknown> = {}): void {
    this.h.emit('workflow_run', {
      run_id: this.run.run_id,
      workflow_name: this.run.workflow_name,
      status,
      steps_completed: this.completed(),
      steps_total: this.total,
      ...extra,
    })
  }

  private emitStep(step: StepDef, status: string, extra: Record<string, unknown> = {}): void {
    this.h.emit('workflow_step', { run_id: this.run.run_id, workflow_name: this.run.workflow_name, step_id: step.id, step_type: step.type, status, ...extra })
  }

  private readonly leaf: LeafRunner = {
    count: () => {
      if (this.cp.steps_executed >= this.h.maxStepsPerRun) {
        throw new RevkaError('REVKA_ERR_STEP_QUOTA', `the run reached max_steps_per_run (${this.h.maxStepsPerRun} step executions); it was stopped`)
      }
      this.cp.steps_executed++
    },
    emitStep: (s, status, extra) => this.emitStep(s, status, extra),
    executor: (t) => this.h.executor(t),
    defaultTimeoutSecs: 0,
    signal: this.ac.signal,
    sleep: (ms, sig) => this.h.sleep(ms, sig),
  }

  private ctx(scope: Scope) {
    return { run_id: this.run.run_id, workflow_name: this.run.workflow_name, cwd: this.run.request.cwd ?? '', scope }
  }

  private async leafResult(step: StepDef, scope: Scope): Promise<StepResult> {
    return runLeaf(step, this.ctx(scope), { ...this.leaf, defaultTimeoutSecs: this.def.default_timeout })
  }

  /** a top-level step: its result (recorded) and what it does to the flow */
  private async step(step: StepDef): Promise<Control> {
    const scope = this.scope()
    const child = async (c: StepDef, s: Scope) => {
      const r = await this.leafResult(c, s)
      this.record(c.id, r)
      return r
    }
    const control = (): StepResult => {
      this.leaf.count()
      this.emitStep(step, 'running')
      return { status: 'completed', output: '', output_data: {} }
    }
    let r: StepResult
    let ctl: Control = {}
    switch (step.type) {
      case 'conditional': {
        r = control()
        const branches: Array<{ condition: string; goto: string }> = step.config.branches
        const i = branches.findIndex((b) => evaluate(String(b.condition), scope))
        if (i < 0) {
          r.output = 'no branch matched'
          break
        }
        r.output = branches[i].goto
        r.output_data = { branch: i, goto: branches[i].goto }
        ctl = { jump: branches[i].goto, skip: branches.map((b) => b.goto).filter((g) => g !== branches[i].goto) }
        break
      }
      case 'goto': {
        r = control()
        const max: number = step.config.max_iterations ?? 5
        const n = this.cp.goto_counts[step.id] ?? 0
        if (!evaluate(step.config.condition, scope)) {
          r.output = 'condition false: no jump'
          break
        }
        if (n >= max) {
          r.output = `max_iterations (${max}) reached: no jump`
          r.output_data = { iterations: n }
          break
        }
        this.cp.goto_counts[step.id] = n + 1
        this.cp.loop_iteration = n + 1
        r.output = `jump to ${step.config.target} (iteration ${n + 1})`
        r.output_data = { target: step.config.target, iteration: n + 1 }
        ctl = { jump: step.config.target }
        break
      }
      case 'human_approval':
      case 'human_input':
        r = control()
        r.status = 'pending'
        r.output = step.type === 'human_approval' ? 'waiting for approval' : 'waiting for input'
        r.output_data = { message: render(String(step.config.message ?? ''), scope) }
        ctl = { pause: step.type }
        break
      case 'parallel':
      case 'for_each':
        control()
        r = step.type === 'parallel' ? await runParallel(step, scope, child) : await runForEach(step, scope, child)
        r.output = capOutput(r.output)
        this.emitStep(step, r.status, r.error ? { error: preview(r.error, ERROR_CHARS) } : { output_preview: preview(r.output) })
        break
      default:
        r = await this.leafResult(step, scope)
    }
    if (ctl.jump || ctl.pause || step.type === 'conditional' || step.type === 'goto') this.emitStep(step, r.status, { output_preview: preview(r.output) })
    this.record(step.id, r)
    return ctl
  }

  /**
   * Run until the run pauses, ends, or is aborted. Answers the status it left: `completed`,
   * `failed`, `cancelled`, `paused`, or `interrupted` (shutdown: still `running` on disk).
   */
  async execute(): Promise<string> {
    const t0 = this.h.now()
    const budget = Math.max(0, this.def.max_total_time * 1000 - (this.cp.elapsed_ms ?? 0))
    const timer = setTimeout(() => this.stop('deadline'), budget)
    timer.unref?.()
    this.h.store.update(this.run.run_id, {
      status: 'running',
      ...(this.run.started_at ? {} : { started_at: new Date(t0).toISOString() }),
      steps_total: this.total,
    })
    this.emitRun('running')
    try {
      for (;;) {
        const pending = this.top.filter((s) => !isDone(this.results[s.id]))
        if (!pending.length) return this.end('completed', '')
        const ready = pending.filter((s) => s.depends_on.every((d) => !this.top.some((t) => t.id === d) || isDone(this.results[d])))
        const skip = ready.filter((s) => s.depends_on.length && s.depends_on.every((d) => this.results[d]?.status === 'skipped'))
        if (skip.length) {
          for (const s of skip) {
            this.record(s.id, { status: 'skipped', output: 'skipped: no dependency ran', output_data: {} })
            this.emitStep(s, 'skipped')
          }
          continue
        }
        if (!ready.length) return this.end('failed', `no step can run (waiting: ${pending.map((s) => s.id).join(', ')})`)
        const settled = await Promise.allSettled(ready.map((s) => this.step(s)))
        if (this.ac.signal.aborted) return this.aborted(t0)
        const thrown = settled.find((o) => o.status === 'rejected') as PromiseRejectedResult | undefined
        if (thrown) return this.end('failed', (thrown.reason as Error)?.message ?? String(thrown.reason))
        const failed = ready.find((s) => this.results[s.id]?.status === 'failed')
        if (failed) return this.end('failed', `step '${failed.id}' failed: ${this.results[failed.id].error ?? ''}`, failed.id)
        const ctls = settled.map((o) => (o as PromiseFulfilledResult<Control>).value)
        const pause = ready.findIndex((_, i) => ctls[i].pause)
        if (pause >= 0) return this.pause(ready[pause], ctls[pause].pause!, t0)
        for (const c of ctls) this.applyJump(c)
      }
    } catch (e) {
      if (this.ac.signal.aborted) return this.aborted(t0)
      return this.end('failed', (e as Error)?.message ?? String(e))
    } finally {
      clearTimeout(timer)
      this.cp.elapsed_ms = (this.cp.elapsed_ms ?? 0) + (this.h.now() - t0)
      this.h.store.update(this.run.run_id, { checkpoint: this.cp })
    }
  }

  private applyJump(c: Control): void {
    for (const id of c.skip ?? []) {
      if (!isDone(this.results[id]) && id !== c.jump) this.record(id, { status: 'skipped', output: 'skipped: branch not taken', output_data: {} })
    }
    if (c.jump && isDone(this.results[c.jump])) this.reset(descendantClosure(this.top, c.jump))
  }

  private async pause(step: StepDef, kind: 'human_approval' | 'human_input', _t0: number): Promise<string> {
    const timeout = typeof step.config.timeout === 'number' ? step.config.timeout : kind === 'human_input' ? 3600 : 0
    const since = this.h.now()
    this.cp.paused = { step_id: step.id, kind, since, ...(timeout > 0 ? { expires_at: since + timeout * 1000 } : {}) }
    this.h.store.update(this.run.run_id, { status: 'paused', checkpoint: this.cp })
    this.emitRun('paused', { step_id: step.id })
    try {
      const delivered = await this.h.announcePause(this.run, step, this.scope())
      const r = this.results[step.id]
      this.record(step.id, { ...r, output_data: { ...r.output_data, delivery: delivered } })
    } catch (e) {
      this.h.log.warn({ run: this.run.run_id, err: (e as Error).message }, 'announcing a paused workflow failed')
    }
    return 'paused'
  }

  /**
   * A person answered the paused step: approve → the step completes; reject → `on_reject_goto`
   * with `${rejection.*}` while `on_reject_max` allows, else the run is cancelled. Answers
   * whether the run continues.
   */
  decide(decision: { approved: boolean; feedback?: string }): { continue: boolean; error?: string } {
    const p = this.cp.paused!
    const step = this.top.find((s) => s.id === p.step_id)!
    const feedback = decision.feedback ?? ''
    delete this.cp.paused
    if (decision.approved) {
      this.record(step.id, {
        status: 'completed',
        output: feedback || (p.kind === 'human_approval' ? 'approved' : ''),
        output_data: { approved: true, feedback },
      })
      this.emitStep(step, 'completed', { approved: true })
      return { continue: true }
    }
    const target: string | undefined = p.kind === 'human_approval' ? step.config.on_reject_goto : undefined
    const count = (this.cp.reject_counts[step.id] ?? 0) + 1
    const max: number = step.config.on_reject_max ?? 3
    this.record(step.id, { status: 'completed', output: 'rejected', output_data: { approved: false, feedback, rejections: count } })
    this.emitStep(step, 'rejected', { feedback: preview(feedback) })
    if (target && count <= max) {
      this.cp.reject_counts[step.id] = count
      this.cp.rejection = { feedback, count }
      this.reset(new Set([...descendantClosure(this.top, target), step.id]))
      return { continue: true }
    }
    return { continue: false, error: `rejected at step '${step.id}'${target ? ` (on_reject_max ${max} reached)` : ''}${feedback ? `: ${feedback}` : ''}` }
  }

  /** retry: the step that failed (its top-level step, when it is a parallel or for_each child) runs again */
  resetForRetry(stepId: string): void {
    const top = this.top.find((s) => allIds([s]).includes(stepId))
    this.reset([top?.id ?? stepId])
  }

  /** a paused step nobody answered in time: it fails, and the run with it */
  failStep(stepId: string, error: string): void {
    delete this.cp.paused
    this.record(stepId, { status: 'failed', output: '', output_data: {}, error })
    this.end('failed', `step '${stepId}' failed: ${error}`, stepId)
  }

  private aborted(_t0: number): string {
    const why = (this.ac.signal.reason as Abort | undefined)?.kind
    if (why === 'shutdown') return 'interrupted'
    if (why === 'deadline') return this.end('failed', `max_total_time of ${this.def.max_total_time} s exceeded`)
    return this.end('cancelled', 'cancelled by request')
  }

  end(status: 'completed' | 'failed' | 'cancelled', error: string, failedStep?: string): string {
    const completed_at = new Date(this.h.now()).toISOString()
    if (failedStep) this.cp.failed_step = failedStep
    this.h.store.update(this.run.run_id, { status, error: error.slice(0, 4000), completed_at, steps_completed: this.completed(), checkpoint: this.cp })
    const outputs =
      status === 'completed' ? Object.fromEntries(this.def.outputs.map((o) => [o.name, preview(render(o.source, this.scope()), 1000)])) : undefined
    this.emitRun(status, { ...(error ? { error: preview(error, ERROR_CHARS) } : {}), ...(outputs ? { outputs } : {}) })
    return status
  }
}
