/**
 * A stand-in for the `workflow-runner` service, for the workflows plugin's route-shape tests
 * (the runner's behaviour is tested in its own plugin). Validation is a real YAML parse with line
 * numbers; runs live in memory and pause at once; every call is recorded for the tests to check
 * that a refused request never reached the runner.
 */
import { definePlugin, httpError, WorkflowRunnerRef, type WorkflowFinding, type WorkflowRunnerService, type WorkflowValidation } from '@revka/plugin-sdk'
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml'

export interface DoubleState {
  calls: Array<[string, unknown]>
  runs: Map<string, Record<string, string>>
}
const state: DoubleState = ((globalThis as any).__wfRunnerDouble ??= { calls: [], runs: new Map() })

function validate(text: string): WorkflowValidation {
  const lc = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lc })
  const errors: WorkflowFinding[] = doc.errors.map((e) => ({ message: e.message, severity: 'error', line: e.linePos?.[0]?.line }))
  const out: WorkflowValidation = { valid: false, errors, warnings: [], all_step_ids: [], cron_triggers: [] }
  if (errors.length || !isMap(doc.contents)) {
    if (!errors.length) errors.push({ message: 'a workflow is a YAML mapping', severity: 'error', line: 1 })
    return out
  }
  const js = doc.toJS() as Record<string, any>
  if (typeof js.name !== 'string') errors.push({ message: 'name is required', severity: 'error', field: 'name', line: 1 })
  else out.name = js.name
  const steps = doc.get('steps')
  if (!isSeq(steps) || !steps.items.length) errors.push({ message: 'steps must list at least one step', severity: 'error', field: 'steps', line: 1 })
  else
    steps.items.forEach((node, i) => {
      const id = isMap(node) ? node.get('id') : undefined
      if (typeof id === 'string') out.all_step_ids.push(id)
      else
        errors.push({
          message: 'a step needs an id',
          severity: 'error',
          field: `steps[${i}].id`,
          line: lc.linePos((node as { range?: number[] } | null)?.range?.[0] ?? 0).line,
        })
    })
  for (const t of Array.isArray(js.triggers) ? js.triggers : [])
    if (t && typeof t.cron === 'string') out.cron_triggers.push({ cron: t.cron, ...(t.timezone ? { timezone: t.timezone } : {}) })
  out.valid = !errors.length
  return out
}

const summary = (id: string, workflow: string, status: string) => ({
  kref: `kref://Revka/WorkflowRuns/${workflow}-${id.slice(0, 12)}.workflow_run`,
  run_id: id,
  workflow_name: workflow,
  status,
  started_at: '2026-12-07T10:00:00Z',
  completed_at: '',
  steps_completed: '0',
  steps_total: '1',
  error: '',
})

const service: WorkflowRunnerService = {
  validate(yaml) {
    state.calls.push(['validate', yaml.length])
    return validate(yaml)
  },
  async run(req) {
    state.calls.push(['run', req])
    if (req.workflow === 'ghost') return { refused: true, code: 'workflow_not_found', message: "Workflow 'ghost' not found" }
    if (req.workflow === 'broken')
      return { refused: true, code: 'invalid_workflow', message: 'invalid', validation: { ...validate('name: broken\nsteps: []\n') } }
    if (req.target_step_id === 'nope') return { refused: true, code: 'unknown_target_step', message: "unknown_target_step: 'nope'" }
    const id = `00000000-0000-4000-8000-${String(state.runs.size + 1).padStart(12, '0')}`
    state.runs.set(id, summary(id, req.workflow, 'paused'))
    return { run_id: id, workflow: req.workflow, status: 'pending' }
  },
  listRuns({ limit, workflow }) {
    state.calls.push(['listRuns', { limit, workflow }])
    return [...state.runs.values()]
      .filter((r) => !workflow || r.workflow_name === workflow)
      .reverse()
      .slice(0, limit)
  },
  counts() {
    return { total: state.runs.size, active: [...state.runs.values()].filter((r) => r.status === 'paused' || r.status === 'running').length }
  },
  getRun(id) {
    const r = state.runs.get(id)
    return r ? (Object.assign({ ...r }, { steps: [{ step_id: 's1', status: r.status }] }) as any) : undefined
  },
  async deleteRun(id) {
    state.calls.push(['deleteRun', id])
    return state.runs.delete(id)
  },
  async resume(id, d) {
    state.calls.push(['resume', { id, ...d }])
    const r = state.runs.get(id)
    if (!r) throw httpError(404, 'run_not_found', `Run '${id}' not found`)
    if (r.status !== 'paused') throw httpError(409, 'run_not_paused', `Run '${id}' is ${r.status}, not paused`)
    if (id.endsWith('99')) throw new Error('checkpoint unreadable')
    r.status = d.approved ? 'completed' : 'cancelled'
  },
  async retry(id) {
    const r = state.runs.get(id)
    if (!r || r.status !== 'failed') throw new Error(`run ${id} is not failed`)
    r.status = 'running'
    return { run_id: id, status: 'running', resumed_from: 's1' }
  },
  async cancel(id) {
    const r = state.runs.get(id)
    if (!r) return { cancelled: false, reason: 'not_found_or_already_finished' }
    if (r.status === 'completed' || r.status === 'cancelled') return { cancelled: false, run_id: id, status: r.status, reason: 'already_terminal' }
    r.status = 'cancelled'
    return { cancelled: true, run_id: id, status: 'cancelled', steps_completed: 0 }
  },
  agentActivity(agentId, view, limit) {
    state.calls.push(['agentActivity', { agentId, view, limit }])
    return agentId === 'agent-1' ? { agent_id: agentId, view, total: 0, entries: [] } : undefined
  },
}

export default definePlugin({
  setup(api) {
    api.services.provide(WorkflowRunnerRef, service)
  },
})
