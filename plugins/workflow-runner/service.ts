/**
 * The `workflow-runner` service (SDK `WorkflowRunnerService`): validate, start, list, show,
 * cancel, delete runs and read agent activity. Resume, retry and crash recovery — everything that
 * continues a stored run — are in lifecycle.ts. Runs execute in this process; at most
 * `max_concurrent_runs` at once, at most `max_run_history` stored.
 */
import { randomUUID } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import {
  httpError,
  RevkaError,
  type WorkflowCancelResult,
  type WorkflowRunDetail,
  type WorkflowRunRefusal,
  type WorkflowRunRequest,
  type WorkflowRunSummary,
  type WorkflowValidation,
} from '@revka/plugin-sdk'
import type { ActivityView, RunLogs } from './activity.js'
import { Execution, type EngineHost } from './engine.js'
import { ancestorClosure } from './graph.js'
import { loadWorkflow } from './loader.js'
import type { WorkflowDef } from './model.js'
import { detailOf, summaryOf } from './run-view.js'
import { emptyCheckpoint, TERMINAL, type RunRow, type RunStore } from './run-store.js'
import { validateWorkflow } from './validate.js'

export interface RunnerLimits {
  maxConcurrentRuns: number
  maxRunHistory: number
}

export interface ServiceDeps {
  store: RunStore
  logs: RunLogs
  host: EngineHost
  limits: RunnerLimits
  shellAllowed: boolean
  domain: () => Parameters<typeof loadWorkflow>[0]
  harness: () => string
  now: () => number
}

type Parsed = { validation: WorkflowValidation; def?: WorkflowDef }
const PARSE_CACHE_CHARS = 8 * 1024 * 1024

export class RunnerCore {
  /** executions in flight, by run id */
  readonly live = new Map<string, { exec: Execution; done: Promise<string> }>()
  /** bounded by entries and by the text they hold (a parsed definition is a few times its text) */
  private readonly parsed = new LRUCache<string, Parsed>({ max: 64, maxSize: PARSE_CACHE_CHARS, sizeCalculation: (_v, k) => Math.max(1, k.length) })
  constructor(readonly d: ServiceDeps) {}

  validate(yaml: string): WorkflowValidation {
    return this.parse(yaml).validation
  }

  /** validation results are cached by text: a run detail re-reads its definition's step order */
  parse(yaml: string): Parsed {
    const hit = typeof yaml === 'string' ? this.parsed.get(yaml) : undefined
    if (hit) return hit
    const p = validateWorkflow(yaml, { shellAllowed: this.d.shellAllowed })
    if (typeof yaml === 'string' && yaml.length <= PARSE_CACHE_CHARS / 8) this.parsed.set(yaml, p)
    return p
  }

  private refuse(code: WorkflowRunRefusal['code'], message: string, validation?: WorkflowValidation): WorkflowRunRefusal {
    return { refused: true, code, message, ...(validation ? { validation } : {}) }
  }

  private inputsFor(def: WorkflowDef, given: Record<string, unknown>): Record<string, unknown> | string {
    const inputs: Record<string, unknown> = { ...given }
    for (const i of def.inputs) {
      if (inputs[i.name] === undefined && i.default !== undefined) inputs[i.name] = i.default
      if (inputs[i.name] === undefined && i.required) return `missing required input '${i.name}'`
    }
    return inputs
  }

  async run(req: WorkflowRunRequest): Promise<{ run_id: string; workflow: string; status: 'pending' } | WorkflowRunRefusal> {
    const loaded = req.definition !== undefined ? { yaml: req.definition } : await loadWorkflow(this.d.domain(), this.d.harness(), req.workflow)
    if (!loaded) return this.refuse('workflow_not_found', `workflow '${req.workflow}' not found`)
    const { validation, def } = this.parse(loaded.yaml)
    if (!def) return this.refuse('invalid_workflow', `workflow '${req.workflow}' is invalid`, validation)
    if (req.target_step_id !== undefined && !def.steps.some((s) => s.id === req.target_step_id)) {
      return this.refuse('unknown_target_step', `unknown_target_step: '${req.target_step_id}'`)
    }
    const inputs = this.inputsFor(def, req.inputs ?? {})
    if (typeof inputs === 'string') {
      return this.refuse('invalid_workflow', inputs, { ...validation, valid: false, errors: [{ message: inputs, severity: 'error', field: 'inputs' }] })
    }
    if (this.live.size >= this.d.limits.maxConcurrentRuns) {
      return this.refuse(
        'run_quota_exceeded',
        `${this.live.size} runs are executing (max_concurrent_runs ${this.d.limits.maxConcurrentRuns}); try again when one finishes`,
      )
    }
    const run_id = randomUUID()
    const total = req.target_step_id ? ancestorClosure(def.steps, req.target_step_id).size : validation.all_step_ids.length
    const row: RunRow = {
      run_id,
      workflow_name: def.name || req.workflow,
      status: 'pending',
      created_at: new Date(this.d.now()).toISOString(),
      started_at: '',
      completed_at: '',
      error: '',
      yaml: loaded.yaml,
      steps_total: total,
      steps_completed: 0,
      checkpoint: emptyCheckpoint(),
      restarts: 0,
      request: {
        inputs,
        source: req.source ?? 'api',
        ...(req.cwd ? { cwd: req.cwd } : {}),
        ...(req.target_step_id ? { target_step_id: req.target_step_id } : {}),
        ...('item_kref' in loaded ? { workflow_item_kref: loaded.item_kref, workflow_revision_kref: loaded.revision_kref } : {}),
      },
    }
    let pruned: string[]
    try {
      pruned = this.d.store.insert(row, this.d.limits.maxRunHistory)
    } catch (e) {
      if (e instanceof RevkaError && e.code === 'REVKA_ERR_RUN_QUOTA') return this.refuse('run_quota_exceeded', e.message)
      throw e
    }
    this.d.logs.removeRuns(pruned)
    this.d.host.emit('workflow_run', { run_id, workflow_name: row.workflow_name, status: 'pending', source: row.request.source })
    this.start(row, def)
    return { run_id, workflow: req.workflow, status: 'pending' }
  }

  /** execute a stored run in the background */
  start(row: RunRow, def: WorkflowDef): Execution {
    return this.launch(new Execution(row, def, this.d.host))
  }

  launch(exec: Execution): Execution {
    const id = exec.run.run_id
    const done = exec
      .execute()
      .catch((e) => {
        this.d.host.log.error({ run: id, err: (e as Error)?.message }, 'workflow run crashed')
        return exec.end('failed', `internal error: ${(e as Error)?.message ?? String(e)}`)
      })
      .finally(() => {
        this.live.delete(id)
        this.onSettled(id)
      })
    this.live.set(id, { exec, done })
    return exec
  }

  /** overridden by the lifecycle (paused runs get their answer deadline) */
  protected onSettled(_runId: string): void {}

  listRuns(opts: { limit: number; workflow?: string }): WorkflowRunSummary[] {
    return this.d.store.list(Math.max(1, opts.limit), opts.workflow).map(summaryOf)
  }

  counts(): { total: number; active: number } {
    return this.d.store.counts()
  }

  getRun(runId: string): WorkflowRunDetail | undefined {
    const row = this.d.store.get(runId)
    if (!row) return undefined
    return detailOf(row, this.d.store.steps(runId), this.parse(row.yaml).validation.all_step_ids)
  }

  async cancel(runId: string): Promise<WorkflowCancelResult> {
    const row = this.d.store.get(runId)
    if (!row) return { cancelled: false, reason: 'not_found_or_already_finished' }
    if (TERMINAL.includes(row.status)) return { cancelled: false, run_id: runId, status: row.status, reason: 'already_terminal' }
    const live = this.live.get(runId)
    if (live) {
      live.exec.stop('cancel')
      await live.done
    }
    const left = this.d.store.get(runId)
    if (left && !TERMINAL.includes(left.status)) {
      // paused (or pending with no execution, or an execution that paused as it was stopped): nothing runs, so end it here
      const def = this.parse(left.yaml).def
      if (def) new Execution(left, def, this.d.host).end('cancelled', 'cancelled by request')
      else this.d.store.update(runId, { status: 'cancelled', error: 'cancelled by request', completed_at: new Date(this.d.now()).toISOString() })
    }
    const after = this.d.store.get(runId)!
    return {
      cancelled: after.status === 'cancelled',
      run_id: runId,
      status: after.status,
      steps_completed: after.steps_completed,
      ...(after.status === 'cancelled' ? {} : { reason: 'already_terminal' }),
    }
  }

  async deleteRun(runId: string): Promise<boolean> {
    const live = this.live.get(runId)
    if (live) {
      live.exec.stop('cancel')
      await live.done
    }
    const had = this.d.store.delete(runId)
    if (had) this.d.logs.removeRuns([runId])
    return had
  }

  agentActivity(agentId: string, view: ActivityView, limit: number): Record<string, unknown> | undefined {
    return this.d.logs.read(agentId, view, Math.min(500, Math.max(1, limit)))
  }

  /** the stored run or a coded 404 */
  mustGet(runId: string): RunRow {
    const row = this.d.store.get(runId)
    if (!row) throw httpError(404, 'run_not_found', `Run '${runId}' not found`)
    return row
  }
}
