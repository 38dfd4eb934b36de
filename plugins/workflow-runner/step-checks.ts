/**
 * The config block of each step type (§7.4), checked field by field: bounds (retry 0..5,
 * max_concurrency ≤ 10, goto max_iterations ≤ 20, for_each max_iterations ≤ 50, on_reject_max
 * ≤ 10), enums and required fields. Jump targets are collected for the graph checks.
 */
import type { Checker, YamlPath } from './checker.js'
import { conditionProblem } from './condition.js'
import type { StepType } from './model.js'

export interface Jump { target: string; path: YamlPath; stepId: string; what: string }

type Cfg = Record<string, unknown>
type Check = (c: Checker, cfg: Cfg, path: YamlPath, id: string, jumps: Jump[]) => void

const MAX_TEXT = 1_000_000
const MAX_CONDITION = 1000

function condition(c: Checker, cfg: Cfg, key: string, path: YamlPath, id: string): void {
  const cond = c.str(cfg, key, path, id, { max: MAX_CONDITION })
  const problem = cond === undefined ? null : conditionProblem(cond)
  if (problem) c.error(problem.replace(/^REVKA_ERR_\w+: /, ''), [...path, key], id)
}

function jump(c: Checker, cfg: Cfg, key: string, path: YamlPath, id: string, jumps: Jump[], what: string, required: boolean): void {
  const t = c.str(cfg, key, path, id, { required })
  if (t !== undefined) jumps.push({ target: t, path: [...path, key], stepId: id, what })
}

const TOOL_SETS = ['none', 'all']

export const CHECKS: Record<StepType, { required: boolean; check: Check }> = {
  agent: { required: false, check: (c, cfg, p, id) => {
    c.str(cfg, 'prompt', p, id, { max: MAX_TEXT }); c.str(cfg, 'role', p, id); c.str(cfg, 'model', p, id); c.str(cfg, 'agent_type', p, id)
    c.num(cfg, 'timeout', p, id, 0.01, 86_400); c.num(cfg, 'max_turns', p, id, 1, 50, true); c.strList(cfg, 'output_fields', p, id)
    const tools = cfg.tools
    if (typeof tools === 'string' && !TOOL_SETS.includes(tools)) c.warn(`tools '${tools}' is not a tool set this runner knows: the agent gets no tools (name them as a list, or use all/none)`, [...p, 'tools'], id)
    else if (tools !== undefined && typeof tools !== 'string') c.strList(cfg, 'tools', p, id)
    c.strList(cfg, 'required_tools', p, id)
  } },
  shell: { required: true, check: (c, cfg, p, id) => {
    const cmd = cfg.command
    if (typeof cmd === 'string') { if (!cmd.trim()) c.error('command is empty', [...p, 'command'], id) }
    else if (!Array.isArray(cmd) || !cmd.length || cmd.some((x) => typeof x !== 'string')) c.error('command must be a string or a non-empty list of strings', [...p, 'command'], id)
    c.num(cfg, 'timeout', p, id, 0.01, 86_400); c.bool(cfg, 'allow_failure', p, id)
  } },
  compute: { required: true, check: (c, cfg, p, id) => {
    const outs = c.map(cfg, 'outputs', p, id, true)
    for (const [k, v] of Object.entries(outs ?? {})) if (v !== null && typeof v === 'object') c.error(`outputs.${k} must be a text template or a scalar`, [...p, 'outputs', k], id)
  } },
  conditional: { required: true, check: (c, cfg, p, id, jumps) => {
    const b = cfg.branches
    if (!Array.isArray(b) || !b.length) { c.error('branches must be a non-empty list', [...p, 'branches'], id); return }
    b.forEach((br, i) => {
      const bp = [...p, 'branches', i]
      if (!br || typeof br !== 'object' || Array.isArray(br)) { c.error('a branch must be a mapping {condition, goto}', bp, id); return }
      c.str(br as Cfg, 'condition', bp, id, { required: true })
      condition(c, br as Cfg, 'condition', bp, id)
      jump(c, br as Cfg, 'goto', bp, id, jumps, 'branch goto', true)
    })
  } },
  parallel: { required: true, check: (c, cfg, p, id) => {
    c.oneOf(cfg, 'join', p, id, ['all', 'any', 'majority']); c.num(cfg, 'max_concurrency', p, id, 1, 10, true)
  } },
  goto: { required: true, check: (c, cfg, p, id, jumps) => {
    jump(c, cfg, 'target', p, id, jumps, 'goto target', true); condition(c, cfg, 'condition', p, id); c.num(cfg, 'max_iterations', p, id, 1, 20, true)
  } },
  for_each: { required: true, check: (c, cfg, p, id) => {
    const range = cfg.range, items = cfg.items
    if (range === undefined && items === undefined) c.error('for_each needs range ("1..N") or items', p, id)
    if (range !== undefined && (typeof range !== 'string' || !/^\s*-?\d+\s*\.\.\s*-?\d+\s*$/.test(range))) c.error('range must look like "1..N"', [...p, 'range'], id)
    if (items !== undefined && typeof items !== 'string' && !Array.isArray(items)) c.error('items must be a list or a template', [...p, 'items'], id)
    if (Array.isArray(items) && items.length > 50) c.error('items has more than 50 entries (max_iterations is at most 50)', [...p, 'items'], id)
    const v = c.str(cfg, 'variable', p, id)
    if (v !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) c.error('variable must be an identifier', [...p, 'variable'], id)
    c.num(cfg, 'max_iterations', p, id, 1, 50, true); c.bool(cfg, 'fail_fast', p, id); c.bool(cfg, 'carry_forward', p, id)
  } },
  human_approval: { required: false, check: (c, cfg, p, id, jumps) => {
    c.str(cfg, 'message', p, id, { max: MAX_TEXT }); c.str(cfg, 'title', p, id); c.num(cfg, 'timeout', p, id, 0, 30 * 86_400)
    channels(c, cfg, p, id)
    jump(c, cfg, 'on_reject_goto', p, id, jumps, 'on_reject_goto', false); c.num(cfg, 'on_reject_max', p, id, 0, 10, true)
    c.strList(cfg, 'approve_keywords', p, id); c.strList(cfg, 'reject_keywords', p, id)
  } },
  human_input: { required: false, check: (c, cfg, p, id) => {
    c.str(cfg, 'message', p, id, { max: MAX_TEXT }); c.str(cfg, 'title', p, id); c.num(cfg, 'timeout', p, id, 0, 30 * 86_400); channels(c, cfg, p, id)
  } },
  notify: { required: true, check: (c, cfg, p, id) => {
    channels(c, cfg, p, id); c.str(cfg, 'title', p, id); c.str(cfg, 'message', p, id, { required: true, max: MAX_TEXT })
  } },
  output: { required: false, check: (c, cfg, p, id) => {
    c.oneOf(cfg, 'format', p, id, ['text', 'markdown', 'json', 'yaml']); c.str(cfg, 'template', p, id, { max: MAX_TEXT })
    c.str(cfg, 'entity_name', p, id); c.str(cfg, 'entity_kind', p, id); c.str(cfg, 'entity_tag', p, id)
    const space = c.str(cfg, 'entity_space', p, id)
    if (space !== undefined && !space.startsWith('/')) c.error('entity_space must be a space path such as /Revka/WorkflowOutputs', [...p, 'entity_space'], id)
    const meta = c.map(cfg, 'entity_metadata', p, id)
    for (const [k, v] of Object.entries(meta ?? {})) if (v !== null && typeof v === 'object') c.error(`entity_metadata.${k} must be text`, [...p, 'entity_metadata', k], id)
  } },
  resolve: { required: true, check: (c, cfg, p, id) => {
    c.str(cfg, 'kind', p, id, { required: true }); c.str(cfg, 'tag', p, id); c.str(cfg, 'name_pattern', p, id); c.str(cfg, 'space', p, id)
    c.str(cfg, 'artifact_name', p, id); c.oneOf(cfg, 'mode', p, id, ['latest', 'all']); c.strList(cfg, 'fields', p, id); c.bool(cfg, 'fail_if_missing', p, id)
  } },
  tag: { required: true, check: (c, cfg, p, id) => {
    c.str(cfg, 'item_kref', p, id, { required: true }); c.str(cfg, 'tag', p, id, { required: true }); c.bool(cfg, 'untag', p, id)
  } },
  deprecate: { required: true, check: (c, cfg, p, id) => {
    c.str(cfg, 'item_kref', p, id, { required: true }); c.str(cfg, 'reason', p, id)
  } },
}

function channels(c: Checker, cfg: Cfg, p: YamlPath, id: string): void {
  if (typeof cfg.channel !== 'string' && cfg.channel !== undefined) c.error('channel must be a channel name', [...p, 'channel'], id)
  c.strList(cfg, 'channels', p, id, 20); c.str(cfg, 'channel_id', p, id)
}
