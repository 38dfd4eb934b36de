/**
 * The parsed workflow (DOMAIN.md §7.4) the engine runs: what `validate` produces from the YAML
 * once it has no errors. Every field has its default filled in here, so the engine never guesses.
 */

/** The step types this runner executes. */
export const RUN_TYPES = [
  'agent',
  'shell',
  'compute',
  'conditional',
  'parallel',
  'goto',
  'for_each',
  'human_approval',
  'human_input',
  'notify',
  'output',
  'resolve',
  'tag',
  'deprecate',
] as const
export type StepType = (typeof RUN_TYPES)[number]

/** Types of the reference we refuse at validation, never at run time. */
export const REFUSED_TYPES = [
  'python',
  'a2a',
  'manus',
  'email',
  'image',
  'map_reduce',
  'supervisor',
  'group_chat',
  'handoff',
  'kumiho_context',
  'kumiho_bundle_update',
  'kumiho_patch_apply',
]

/** Control types the engine handles at the top level only (not inside parallel / for_each). */
export const TOP_LEVEL_ONLY: StepType[] = ['conditional', 'parallel', 'goto', 'for_each', 'human_approval', 'human_input']

/** the config block of a type is named after it, except these (§7.4) */
export const CONFIG_BLOCK: Partial<Record<StepType, string>> = { tag: 'tag_step', deprecate: 'deprecate_step' }

export interface StepDef {
  id: string
  name?: string
  type: StepType
  depends_on: string[]
  retry: number
  /** seconds */
  retry_delay: number
  /** seconds; undefined: the type's default, else the workflow's default_timeout */
  timeout?: number
  assign?: string
  skills: string[]
  action?: string
  description?: string
  /** the type's config block, as written (templates not yet interpolated) */
  config: Record<string, any>
  /** parallel / for_each children */
  children: StepDef[]
}

export interface InputDef {
  name: string
  type: 'string' | 'number' | 'boolean' | 'list'
  required: boolean
  default?: unknown
}

export interface WorkflowDef {
  name: string
  version: string
  inputs: InputDef[]
  outputs: Array<{ name: string; source: string }>
  steps: StepDef[]
  /** seconds */
  default_timeout: number
  /** seconds */
  max_total_time: number
}

/** One step's result (§7.4 "a per-step result"). */
export interface StepResult {
  status: 'pending' | 'running' | 'completed' | 'failed' | 'skipped'
  output: string
  output_data: Record<string, unknown>
  input_data?: Record<string, unknown>
  error?: string
  agent_id?: string
  agent_type?: string
  role?: string
  skills?: string[]
  duration_s?: number
  retries_used?: number
}

/** Reserved first segments of `${…}`: a step may not be named after one. */
export const RESERVED_ROOTS = ['inputs', 'run_id', 'for_each', 'loop', 'rejection', 'env', 'trigger', 'previous']
