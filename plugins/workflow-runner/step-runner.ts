/**
 * One leaf step, the way every step type gets it: the per-run step quota, `retry` attempts with
 * `retry_delay` between them, the step's `timeout` (its own, else the type's, else the
 * workflow's `default_timeout`), and a `workflow_step` event on each transition. The executor
 * gets an AbortSignal that fires on timeout, cancel, shutdown or `max_total_time`.
 */
import { RevkaError } from '@revka/plugin-sdk'
import type { Scope } from './interpolate.js'
import type { StepDef, StepResult } from './model.js'
import { capOutput, OUTPUT_CAP, preview } from './redact.js'

export interface StepContext {
  run_id: string
  workflow_name: string
  cwd: string
  scope: Scope
  signal: AbortSignal
  step: StepDef
}

/** what an executor answers; it throws to fail the step */
export type LeafOutcome = Partial<StepResult> & { output: string }
export type LeafExecutor = (ctx: StepContext) => Promise<LeafOutcome>

export interface LeafRunner {
  /** the per-run quota: throws REVKA_ERR_STEP_QUOTA past it */
  count(): void
  emitStep(step: StepDef, status: string, extra?: Record<string, unknown>): void
  executor(type: string): LeafExecutor
  defaultTimeoutSecs: number
  /** the run's signal (cancel, shutdown, max_total_time) */
  signal: AbortSignal
  sleep(ms: number, signal: AbortSignal): Promise<void>
}

/** type defaults where the contract gives one */
const TYPE_TIMEOUT: Record<string, number> = { shell: 60, agent: 300 }

export function timeoutSecs(step: StepDef, workflowDefault: number): number {
  const own = step.timeout ?? (typeof step.config.timeout === 'number' ? step.config.timeout : undefined)
  return own ?? TYPE_TIMEOUT[step.type] ?? workflowDefault
}

export class StepTimeout extends Error {}

async function attempt(exec: LeafExecutor, ctx: Omit<StepContext, 'signal'>, runSignal: AbortSignal, ms: number): Promise<LeafOutcome> {
  const ac = new AbortController()
  const onRunAbort = () => ac.abort(runSignal.reason)
  runSignal.addEventListener('abort', onRunAbort, { once: true })
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new StepTimeout(`step '${ctx.step.id}' timed out after ${ms / 1000} s`)
      ac.abort(e)
      reject(e)
    }, ms)
  })
  const aborted = new Promise<never>((_, reject) => {
    if (ac.signal.aborted) reject(ac.signal.reason)
    ac.signal.addEventListener('abort', () => reject(ac.signal.reason), { once: true })
  })
  try {
    // an executor that ignores its signal cannot hold the run past its timeout
    return await Promise.race([exec({ ...ctx, signal: ac.signal }), timeout, aborted])
  } finally {
    clearTimeout(timer)
    runSignal.removeEventListener('abort', onRunAbort)
  }
}

/**
 * output_data is not cut like `output` (later steps read its fields), so one too large fails the
 * step: templates that copy earlier outputs could otherwise double the stored run at every step.
 */
function checkDataSize(step: StepDef, out: LeafOutcome): void {
  const size = out.output_data ? JSON.stringify(out.output_data).length : 0
  if (size > OUTPUT_CAP) throw new Error(`step '${step.id}' produced ${size} characters of output_data, more than the ${OUTPUT_CAP} a step may store`)
}

/** Run a leaf step to its result; rethrows only when the run itself was aborted. */
export async function runLeaf(step: StepDef, ctx: Omit<StepContext, 'signal' | 'step'>, r: LeafRunner): Promise<StepResult> {
  const exec = r.executor(step.type)
  const ms = timeoutSecs(step, r.defaultTimeoutSecs) * 1000
  const started = Date.now()
  let last: StepResult | undefined
  for (let i = 0; i <= step.retry; i++) {
    if (r.signal.aborted) throw r.signal.reason
    r.count()
    r.emitStep(step, 'running', i ? { attempt: i + 1 } : {})
    try {
      const out = await attempt(exec, { ...ctx, step }, r.signal, ms)
      checkDataSize(step, out)
      last = {
        output_data: {},
        ...out,
        status: out.status ?? 'completed',
        output: capOutput(out.output),
        retries_used: i,
        duration_s: (Date.now() - started) / 1000,
      }
    } catch (e) {
      if (r.signal.aborted) throw r.signal.reason
      if (e instanceof RevkaError && e.code === 'REVKA_ERR_STEP_QUOTA') throw e
      last = {
        status: 'failed',
        output: '',
        output_data: {},
        error: (e as Error)?.message ?? String(e),
        retries_used: i,
        duration_s: (Date.now() - started) / 1000,
      }
    }
    if (last.status !== 'failed') break
    if (i < step.retry) {
      r.emitStep(step, 'retrying', { error: preview(last.error, 1000), attempt: i + 1 })
      await r.sleep(step.retry_delay * 1000, r.signal)
    }
  }
  r.emitStep(step, last!.status, last!.status === 'failed' ? { error: preview(last!.error, 1000) } : { output_preview: preview(last!.output) })
  return last!
}
