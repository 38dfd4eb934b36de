/**
 * The contract's views of a run (§7.2): `RunSummary`, every field a string, and `RunDetail` with
 * its steps in definition order. Previews are capped and redacted here, on the way out; the stored
 * results keep the full (capped) text for later steps.
 */
import type { WorkflowRunDetail, WorkflowRunStep, WorkflowRunSummary } from '@revka/plugin-sdk'
import type { StepResult } from './model.js'
import { ERROR_CHARS, preview, redact } from './redact.js'
import type { RunRow } from './run-store.js'

const DATA_CHARS = 8 * 1024

export function summaryOf(r: RunRow): WorkflowRunSummary {
  const s: WorkflowRunSummary = {
    // runs live in the runner's own database, not as WorkflowRuns items of the store: no kref
    kref: '',
    run_id: r.run_id,
    workflow_name: r.workflow_name,
    status: r.status,
    started_at: r.started_at,
    completed_at: r.completed_at,
    steps_completed: String(r.steps_completed),
    steps_total: String(r.steps_total),
    error: preview(r.error, ERROR_CHARS),
  }
  if (r.checkpoint.steps_executed > r.steps_completed) s.expanded_steps_completed = String(r.checkpoint.steps_executed)
  if (r.checkpoint.loop_iteration > 0) s.current_iteration = String(r.checkpoint.loop_iteration)
  if (r.checkpoint.paused) s.current_step_instance = r.checkpoint.paused.step_id
  if (r.request.workflow_item_kref) s.workflow_item_kref = r.request.workflow_item_kref
  if (r.request.workflow_revision_kref) s.workflow_revision_kref = r.request.workflow_revision_kref
  return s
}

/** a data object as it may leave: secrets redacted, and a preview in place of a huge one */
function safeData(d: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!d || !Object.keys(d).length) return undefined
  const text = redact(JSON.stringify(d))
  if (text.length > DATA_CHARS) return { truncated: true, preview: preview(text, DATA_CHARS) }
  try {
    return JSON.parse(text)
  } catch {
    return { preview: preview(text, DATA_CHARS) }
  }
}

export function stepOf(stepId: string, r: StepResult): WorkflowRunStep {
  const s: WorkflowRunStep = { step_id: stepId, status: r.status, output_preview: preview(r.output) }
  if (r.error) s.error = preview(r.error, ERROR_CHARS)
  if (r.agent_id) s.agent_id = r.agent_id
  if (r.agent_type) s.agent_type = r.agent_type
  if (r.role) s.role = r.role
  if (r.skills?.length) s.skills = r.skills
  const input = safeData(r.input_data)
  if (input) s.input_data = input
  const output = safeData(r.output_data)
  if (output) s.output_data = output
  return s
}

export function detailOf(r: RunRow, steps: Array<{ step_id: string; result: StepResult }>, order: string[]): WorkflowRunDetail {
  const rank = new Map(order.map((id, i) => [id, i]))
  const sorted = steps.slice().sort((a, b) => (rank.get(a.step_id) ?? 1e9) - (rank.get(b.step_id) ?? 1e9))
  // the SDK type intersects a string map with `steps`; TypeScript cannot build that literal
  return { ...summaryOf(r), steps: sorted.map((s) => stepOf(s.step_id, s.result)) } as unknown as WorkflowRunDetail
}
