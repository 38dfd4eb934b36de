/**
 * The run routes of §7.2, thin over the runner service (which records runs, checkpoints and
 * resumes them). What this file adds: the contract's answer shapes and statuses, bounds on what a
 * client can ask for (`limit`, ids), the events the dashboard listens for, and the audit entries.
 */
import { realpathSync, statSync } from 'node:fs'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import {
  httpError,
  isHttpError,
  reply,
  typedBody,
  type RevkaRequest,
  type WorkflowRunnerService,
  type WorkflowRunRefusal,
  type WorkflowRunRequest,
} from '@revka/plugin-sdk'
import { findBuiltin } from './builtins.js'
import type { Ctx } from './context.js'
import { invalidWorkflow } from './save.js'

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/
/** an agent id names a run log file: one plain segment, never a path */
export const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/
const VIEWS = new Set(['summary', 'tool_calls', 'messages', 'errors', 'full'])
const NAME_MAX = 256

function intParam(name: string, v: string | undefined, dflt: number, max: number): number {
  if (v === undefined || v === '') return dflt
  if (!/^\d{1,9}$/.test(v)) throw httpError(400, 'invalid_query', `${name} must be a non-negative integer`)
  return Math.min(max, Math.max(1, Number(v)))
}

function runIdParam(req: RevkaRequest): string {
  const id = String(req.params.run_id ?? '')
  if (!RUN_ID.test(id)) throw httpError(404, 'run_not_found', `Run '${id.slice(0, 64)}' not found`)
  return id
}

const notFound = (id: string) => reply({ status: 404, body: { error: `Run '${id}' not found`, code: 'run_not_found' } })

/** a runner call whose failure is its own HttpError (404/409…), its run quota (429) or else the contract's 502 */
async function ask<T>(prefix: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (isHttpError(err)) throw err
    // by code, not instanceof: the runner may hold another copy of the SDK
    if ((err as { code?: unknown })?.code === 'REVKA_ERR_RUN_QUOTA') throw httpError(429, 'run_quota_exceeded', (err as Error).message, { retryAfter: 5 })
    throw httpError(502, 'runner_failed', `${prefix}: ${(err as Error)?.message ?? String(err)}`)
  }
}

function refusal(r: WorkflowRunRefusal) {
  switch (r.code) {
    case 'invalid_workflow':
      return invalidWorkflow(r.validation ?? { errors: [{ message: r.message, severity: 'error' }], warnings: [] }, 'dispatch')
    case 'unknown_target_step':
      return reply({
        status: 400,
        body: {
          error: r.message,
          code: 'unknown_target_step',
          error_code: 'unknown_target_step',
          valid: false,
          errors: [{ message: r.message, severity: 'error' }],
        },
      })
    case 'workflow_not_found':
      return reply({ status: 404, body: { error: r.message, code: 'workflow_not_found' } })
    case 'run_quota_exceeded':
      return reply({ status: 429, headers: { 'retry-after': '5' }, body: { error: r.message, code: 'run_quota_exceeded', retry_after: 5 } })
  }
}

/** a stored workflow by name; failing that, the built-in of that name, run from its YAML */
async function startRun(ctx: Ctx, req: WorkflowRunRequest): ReturnType<WorkflowRunnerService['run']> {
  const r = await ctx.runner().run(req)
  if (!('refused' in r) || r.code !== 'workflow_not_found') return r
  const builtin = findBuiltin(ctx.builtinsDir, req.workflow, ctx.api.log)
  return builtin ? ctx.runner().run({ ...req, definition: builtin.yaml }) : r
}

/**
 * A run's `cwd` (where its shell steps run, when the operator allows them): an existing folder
 * inside the workspace, symlinks resolved, else 400. The reference passes any path through, so a
 * token holder could point shell steps at the gateway's state.
 */
function workspaceCwd(workspace: string, cwd: string | undefined): string | undefined {
  if (cwd === undefined || cwd === '') return undefined
  const refuse = () => httpError(400, 'invalid_cwd', 'cwd must be an existing folder inside the workspace')
  let root: string, real: string
  try {
    root = realpathSync(workspace)
    real = realpathSync(resolve(workspace, cwd))
    if (!statSync(real).isDirectory()) throw refuse()
  } catch {
    throw refuse()
  }
  const rel = relative(root, real)
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw refuse()
  return real
}

function runBody(body: unknown, workspace: string): { inputs: Record<string, unknown>; cwd?: string; target_step_id?: string } {
  if (body === undefined || body === null || body === '') return { inputs: {} }
  const b = typedBody(body, { optional: ['cwd', 'target_step_id'] })
  const inputs = b.inputs ?? {}
  if (typeof inputs !== 'object' || Array.isArray(inputs)) throw httpError(422, 'invalid_field', 'inputs: expected an object', { extra: { field: 'inputs' } })
  return { inputs, cwd: workspaceCwd(workspace, b.cwd ?? undefined), target_step_id: b.target_step_id ?? undefined }
}

export function addRunRoutes(ctx: Ctx): void {
  const { api } = ctx

  api.routes.add({
    method: 'POST',
    url: '/api/workflows/run/:name',
    auth: 'bearer',
    description: 'start a run of a workflow (display name or slug) with {inputs?, cwd?, target_step_id?} → {run_id, workflow, status:"pending"}',
    handler: async (req: RevkaRequest) => {
      const name = String(req.params.name ?? '')
      if (!name || name.length > NAME_MAX) throw httpError(400, 'invalid_name', `the workflow name must be 1..${NAME_MAX} characters`)
      const b = runBody(req.body, api.gateway.workspaceDir)
      const slot = ctx.runQuota.reserve(req)
      const r = await startRun(ctx, { workflow: name, inputs: b.inputs, cwd: b.cwd, target_step_id: b.target_step_id, source: 'api' }).catch((err) => {
        slot.release()
        throw err
      })
      if ('refused' in r) {
        slot.release()
        return refusal(r)
      }
      slot.commit(r.run_id)
      ctx.audit(req, 'command_execution', `workflow.run ${name} (${r.run_id})`)
      return { run_id: r.run_id, workflow: r.workflow, status: r.status }
    },
  })

  api.routes.add({
    method: 'GET',
    url: '/api/workflows/runs',
    auth: 'bearer',
    description: 'runs, newest first (limit default 20, at most max_runs_listed; workflow filters on the name)',
    handler: (req: RevkaRequest) => {
      const q = req.query as Record<string, string | undefined>
      const workflow = q.workflow?.trim() ? q.workflow.trim().slice(0, NAME_MAX) : undefined
      const runs = ctx.runner().listRuns({ limit: intParam('limit', q.limit, 20, api.config.max_runs_listed), workflow })
      return { runs, count: runs.length }
    },
  })

  api.routes.add({
    method: 'GET',
    url: '/api/workflows/runs/:run_id',
    auth: 'bearer',
    description: 'one run with its steps → {run}',
    handler: (req: RevkaRequest) => {
      const id = runIdParam(req)
      const run = ctx.runner().getRun(id)
      return run ? { run } : notFound(id)
    },
  })

  api.routes.add({
    method: 'DELETE',
    url: '/api/workflows/runs/:run_id',
    auth: 'bearer',
    description: 'delete a run (a running one is cancelled first) and its checkpoint → 204',
    handler: async (req: RevkaRequest) => {
      const id = runIdParam(req)
      if (!(await ctx.runner().deleteRun(id))) return notFound(id)
      ctx.audit(req, 'config_change', `workflow run deleted: ${id}`)
      return reply({ status: 204 })
    },
  })

  api.routes.add({
    method: 'POST',
    url: '/api/workflows/runs/:run_id/approve',
    auth: 'bearer',
    description: 'resolve a paused human_approval/human_input step {approved, feedback?} → the run resumes',
    handler: async (req: RevkaRequest) => {
      const id = runIdParam(req)
      const b = typedBody(req.body, { optional: ['feedback', 'cwd'], bools: ['approved'] })
      await ask('Failed to resume workflow', () => ctx.runner().resume(id, { approved: b.approved, feedback: b.feedback ?? undefined }))
      api.events.emit('human_approval_resolved', { run_id: id, approved: b.approved })
      ctx.audit(req, 'command_execution', `workflow.${b.approved ? 'approve' : 'reject'} ${id}`)
      return { status: 'ok', message: b.approved ? 'Workflow approved' : 'Workflow rejected', run_id: id, approved: b.approved }
    },
  })

  api.routes.add({
    method: 'POST',
    url: '/api/workflows/runs/:run_id/retry',
    auth: 'bearer',
    description: 'restart a failed or cancelled run from the step that failed → the runner payload',
    handler: async (req: RevkaRequest) => {
      const id = runIdParam(req)
      const slot = ctx.runQuota.reserve(req)
      const out = await ask('Failed to retry workflow', () => ctx.runner().retry(id)).catch((err) => {
        slot.release()
        throw err
      })
      slot.commit(id)
      api.events.emit('workflow_retry', { ...out, run_id: id })
      ctx.audit(req, 'command_execution', `workflow.retry ${id}`)
      return out
    },
  })

  api.routes.add({
    method: 'POST',
    url: '/api/workflows/runs/:run_id/cancel',
    auth: 'bearer',
    description: 'cancel a run: 200 cancelled, 404 not found or finished, 409 already terminal, else 400',
    handler: async (req: RevkaRequest) => {
      const id = runIdParam(req)
      const out = await ask('Failed to cancel workflow', () => ctx.runner().cancel(id))
      if (out.cancelled) {
        api.events.emit('workflow_cancel', { run_id: id, status: out.status ?? 'cancelled' })
        ctx.audit(req, 'command_execution', `workflow.cancel ${id}`)
      }
      const status = out.cancelled ? 200 : out.reason === 'not_found_or_already_finished' ? 404 : out.reason === 'already_terminal' ? 409 : 400
      // a refusal also carries the one error shape beside the runner's payload
      return reply({
        status,
        body: out.cancelled ? out : { ...out, error: `Run '${id}' not cancelled: ${out.reason ?? 'not cancellable'}`, code: out.reason ?? 'not_cancellable' },
      })
    },
  })

  api.routes.add({
    method: 'GET',
    url: '/api/workflows/agent-activity/:agent_id',
    auth: 'bearer',
    description: "one agent's run log (view summary|tool_calls|messages|errors|full, limit ≤ 500); the id is one plain segment",
    handler: (req: RevkaRequest) => {
      const agentId = String(req.params.agent_id ?? '')
      // refused before the runner is asked: the id names a log file
      if (!AGENT_ID.test(agentId)) throw httpError(400, 'invalid_agent_id', 'agent_id must be letters, digits, "-" or "_" (at most 128)')
      const q = req.query as Record<string, string | undefined>
      const view = q.view ?? 'summary'
      if (!VIEWS.has(view)) throw httpError(400, 'invalid_query', 'view must be summary, tool_calls, messages, errors or full')
      const out = ctx.runner().agentActivity(agentId, view as 'summary', intParam('limit', q.limit, 100, 500))
      return out ?? reply({ status: 404, body: { error: 'No run log found for this agent', code: 'run_log_not_found' } })
    },
  })
}
