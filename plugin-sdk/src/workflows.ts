/**
 * The workflow runner's service (provided by the `workflow-runner` plugin as `workflow-runner`),
 * and the cron seam workflows use for their `triggers[].cron` (provided by the `cron` plugin as
 * `cron-triggers`). DOMAIN.md §7/§8: in the reference the gateway calls a separate Python runner
 * over MCP; here the runner is a plugin in the same process and these are its tools as methods.
 * The interfaces live in the SDK so the definition routes (`workflows`), the scheduler (`cron`) and
 * the runner agree without importing each other.
 */
import type { Awaitable } from './kernel-services.js'
import { serviceRef } from './service-ref.js'

/** One finding of the validator. `line` is 1-based in the YAML text when the finding has a place. */
export interface WorkflowFinding {
  message: string
  severity: 'error' | 'warning'
  step_id?: string
  /** dotted path of the offending field, e.g. `steps[2].retry` */
  field?: string
  line?: number
}

/** The outcome of `WorkflowRunnerService.validate`. */
export interface WorkflowValidation {
  valid: boolean
  errors: WorkflowFinding[]
  warnings: WorkflowFinding[]
  /** the workflow's `name:` when it parsed */
  name?: string
  /** every step id, nested ones (parallel, for_each) included, in document order */
  all_step_ids: string[]
  /** `triggers[]` entries that carry `cron:` (with `timezone`/`tz` when given) */
  cron_triggers: Array<{ cron: string; timezone?: string }>
}

/** A run's summary as the contract's `RunSummary` (every field a string; DOMAIN.md §7.2). */
export type WorkflowRunSummary = Record<string, string>

/** One step of a workflow run, as `RunDetail.steps` lists it. */
export interface WorkflowRunStep {
  step_id: string
  status: string
  agent_id?: string
  agent_type?: string
  role?: string
  output_preview?: string
  error?: string
  skills?: string[]
  input_data?: Record<string, unknown>
  output_data?: Record<string, unknown>
}

/** `RunDetail`: the summary's fields flattened, plus the steps. */
export type WorkflowRunDetail = WorkflowRunSummary & { steps: WorkflowRunStep[] }

/** A request to start a workflow run. */
export interface WorkflowRunRequest {
  /** the workflow's display name or slug (`item_name`), as `POST /api/workflows/run/{name}` */
  workflow: string
  inputs?: Record<string, unknown>
  cwd?: string
  /** run only this step's ancestor closure */
  target_step_id?: string
  /** who started it: `api`, `cron`, … (recorded on the run) */
  source?: string
  /**
   * The YAML to run when the workflow is not a store item the runner can load by name (a built-in
   * the definition routes know); absent: the runner loads `workflow` from the store.
   */
  definition?: string
}

/** Why a run request was refused before a run existed; the routes map it to the contract's 400/404. */
export interface WorkflowRunRefusal {
  refused: true
  code: 'workflow_not_found' | 'invalid_workflow' | 'unknown_target_step' | 'run_quota_exceeded'
  message: string
  validation?: WorkflowValidation
}

/** The outcome of cancelling a run. */
export interface WorkflowCancelResult {
  cancelled: boolean
  run_id?: string
  status?: string
  /** `not_found_or_already_finished` (→ 404) or `already_terminal` (→ 409) when not cancelled */
  reason?: string
  steps_completed?: number
}

/** The workflow runner: validates workflow YAML and starts, lists and cancels runs. */
export interface WorkflowRunnerService {
  /** parse and check a workflow YAML (real YAML parser + schema); never throws on bad input */
  validate(yaml: string): WorkflowValidation
  /** validate, record a `pending` run and start it in the background; answers at once */
  run(req: WorkflowRunRequest): Promise<{ run_id: string; workflow: string; status: 'pending' } | WorkflowRunRefusal>
  /** newest first; `workflow` filters on the workflow's name */
  listRuns(opts: { limit: number; workflow?: string }): WorkflowRunSummary[]
  /** total runs and runs not yet terminal (the dashboard aggregate) */
  counts(): { total: number; active: number }
  getRun(runId: string): WorkflowRunDetail | undefined
  /** false when there is no such run; a running run is cancelled first */
  deleteRun(runId: string): Promise<boolean>
  /** resolve a paused `human_approval`/`human_input` step; throws a coded error when the run is not paused */
  resume(runId: string, decision: { approved: boolean; feedback?: string }): Promise<void>
  /** restart a failed or cancelled run from the step that failed; throws a coded error otherwise */
  retry(runId: string): Promise<{ run_id: string; status: string; resumed_from?: string }>
  cancel(runId: string): Promise<WorkflowCancelResult>
  /** the per-agent run log behind `GET /api/workflows/agent-activity/{agent_id}` (id already sanitised) */
  agentActivity(agentId: string, view: 'summary' | 'tool_calls' | 'messages' | 'errors' | 'full', limit: number): Record<string, unknown> | undefined
}

/** The `workflow-runner` service, for `api.services.get`/`require` (provided by the workflow-runner plugin). */
export const WorkflowRunnerRef = serviceRef<WorkflowRunnerService>('workflow-runner')

/**
 * The scheduler's seam for workflow cron triggers (§7.3). Every call is scoped to one workflow:
 * they never touch another workflow's jobs (the reference's sync deleted them).
 *
 * Each method answers an `Awaitable` and callers await every call: a single node's scheduler
 * (SQLite) may answer synchronously, a cluster's (jobs in PostgreSQL) answers once its transaction
 * has committed, so an awaited sync is visible on every node and a refusal (too many triggers, no
 * room in `max_jobs`, a lost engine) reaches the caller, thrown or as a rejection.
 */
export interface CronTriggerService {
  /** make `workflow`'s `source:"workflow"` jobs exactly `triggers` (ids `__wf_cron_<slug>_<idx>`) */
  syncWorkflow(workflow: string, triggers: Array<{ cron: string; timezone?: string }>): Awaitable<{ jobs: string[] }>
  /** remove every job of `workflow` (deprecate, delete); answers how many were removed */
  removeWorkflow(workflow: string): Awaitable<number>
  /**
   * Refuse as `syncWorkflow(workflow, triggers)` would (too many triggers, no room in the
   * scheduler's `max_jobs`, counted over the whole cluster in cluster mode) without changing
   * anything: the definition routes ask before they store a save, so a full scheduler refuses the
   * save instead of dropping its triggers.
   */
  checkWorkflow(workflow: string, triggers: Array<{ cron: string; timezone?: string }>): Awaitable<void>
}

/** The `cron-triggers` service, for `api.services.get`/`require` (provided by the cron plugin). */
export const CronTriggersRef = serviceRef<CronTriggerService>('cron-triggers')

/**
 * Cron triggers one workflow may carry: the `workflows` plugin refuses a save with more (400,
 * field `triggers`), and `syncWorkflow` throws past it, so no credential can fill the scheduler
 * through one YAML.
 */
export const MAX_WORKFLOW_CRON_TRIGGERS = 20
