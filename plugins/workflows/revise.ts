/**
 * Architect `revise` (§8): the current YAML, the operations and the rationale go to the agent
 * runtime as one turn without tools; the YAML of its answer is validated and stored as a new
 * revision that is NOT published (an operator republishes it). Which operations the answer really
 * applied is checked against the YAML itself, not taken from the model's word.
 */
import { randomUUID } from 'node:crypto'
import type { AgentRuntimeService, WorkflowFinding, WorkflowRunnerService } from '@revka/plugin-sdk'
import { stepsOf } from './step-diff.js'

export const OPS = [
  'add_step',
  'edit_step',
  'delete_step',
  'reorder',
  'wire',
  'unwire',
  'insert_into_parallel',
  'extract_from_parallel',
  'rename_step',
] as const
export const MAX_OPERATIONS = 100
/** the YAML a revise turn may carry to the model */
export const MAX_REVISE_YAML = 256 * 1024

export interface Operation {
  op: string
  step_id?: string
  new_id?: string
  step_def?: Record<string, unknown>
  target_step_id?: string
  parallel_id?: string
}
export interface SkippedItem {
  op_index: number
  op: string
  reason: string
  details: string
  target_step_id?: string
}

const SYSTEM = [
  'You revise workflow definitions for the Revka workflow runner.',
  'Apply the requested operations to the workflow YAML you are given and keep everything else as it is.',
  'Answer with the complete revised workflow YAML in one ```yaml fenced block and nothing else.',
].join(' ')

export function revisePrompt(yaml: string, ops: Operation[], rationale: string | undefined): string {
  return [
    `Operations (JSON):\n${JSON.stringify(ops, null, 2)}`,
    rationale ? `Rationale: ${rationale}` : '',
    `Current workflow YAML:\n\`\`\`yaml\n${yaml}\n\`\`\``,
  ]
    .filter(Boolean)
    .join('\n\n')
}

/** the first fenced block (```yaml, ```yml or a bare fence), else the whole answer */
export function yamlOfAnswer(text: string): string {
  const m = /```(?:ya?ml)?[ \t]*\r?\n([\s\S]*?)```/i.exec(text)
  return (m ? m[1] : text).trim() + '\n'
}

/** was `op` applied, judged from the step ids and definitions before and after */
function applied(op: Operation, before: Map<string, string>, after: Map<string, string>): string | null {
  const changed = (id?: string) => !!id && before.has(id) && after.has(id) && before.get(id) !== after.get(id)
  switch (op.op) {
    case 'add_step': {
      const id = (typeof op.step_def?.id === 'string' ? op.step_def.id : undefined) ?? op.new_id ?? op.step_id
      return id && after.has(id) && !before.has(id) ? null : `step '${id ?? '?'}' is not new in the answer`
    }
    case 'delete_step':
      return op.step_id && before.has(op.step_id) && !after.has(op.step_id) ? null : `step '${op.step_id ?? '?'}' is still there`
    case 'rename_step':
      return op.new_id && after.has(op.new_id) && op.step_id && !after.has(op.step_id)
        ? null
        : `step '${op.step_id ?? '?'}' was not renamed to '${op.new_id ?? '?'}'`
    case 'reorder': {
      const order = (m: Map<string, string>) => [...m.keys()].filter((k) => before.has(k) && after.has(k)).join(',')
      return order(before) !== order(after) ? null : 'the step order did not change'
    }
    default: // edit, wire, unwire, insert/extract: the named step (or parallel) changed
      return changed(op.step_id) || changed(op.parallel_id) || changed(op.target_step_id)
        ? null
        : `step '${op.step_id ?? op.parallel_id ?? '?'}' did not change`
  }
}

export interface ReviseOutcome {
  success: boolean
  yaml: string | null
  applied_count: number
  skipped_items: SkippedItem[]
  errors: Array<WorkflowFinding | string>
}

export async function reviseYaml(
  runtime: AgentRuntimeService,
  runner: WorkflowRunnerService,
  yaml: string,
  ops: Operation[],
  rationale: string | undefined,
  timeoutMs: number,
): Promise<ReviseOutcome> {
  const skipped: SkippedItem[] = []
  const known = ops.filter((op, i) => {
    if ((OPS as readonly string[]).includes(op.op)) return true
    skipped.push({ op_index: i, op: String(op.op), reason: 'unknown_operation', details: `'${String(op.op)}' is not one of ${OPS.join(', ')}` })
    return false
  })
  if (!known.length) return { success: false, yaml: null, applied_count: 0, skipped_items: skipped, errors: ['no known operation to apply'] }
  const r = await runtime.runTurn(
    {
      sessionId: `architect_${randomUUID()}`,
      messages: [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: revisePrompt(yaml, known, rationale) },
      ],
      signal: AbortSignal.timeout(timeoutMs),
      tools: false,
      timeoutMs,
      source: 'architect',
    },
    () => {},
  )
  if (r.timedOut || r.stopped) throw new Error(r.timedOut ? 'the model did not answer in time' : 'the turn was stopped')
  const next = yamlOfAnswer(r.content)
  const v = runner.validate(next)
  if (!v.valid) return { success: false, yaml: null, applied_count: 0, skipped_items: skipped, errors: v.errors }
  const before = stepsOf(yaml)
  const after = stepsOf(next)
  let count = 0
  ops.forEach((op, i) => {
    if (!(OPS as readonly string[]).includes(op.op)) return
    const why = applied(op, before, after)
    if (why === null) count++
    else skipped.push({ op_index: i, op: op.op, reason: 'not_applied', details: why, ...(op.target_step_id ? { target_step_id: op.target_step_id } : {}) })
  })
  skipped.sort((a, b) => a.op_index - b.op_index)
  if (!count) return { success: false, yaml: null, applied_count: 0, skipped_items: skipped, errors: ["the model's answer applied none of the operations"] }
  return { success: true, yaml: next, applied_count: count, skipped_items: skipped, errors: [] }
}
