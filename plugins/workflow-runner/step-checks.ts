/**
 * What a type's config block needs beyond its schema (schema.ts has the field types and bounds):
 * condition syntax (`conditional` branches, `goto`), the jump targets the graph checks resolve
 * later (branch `goto`, goto `target`, `on_reject_goto`), a for_each's source, and tool sets.
 */
import type { Checker, YamlPath } from './checker.js'
import { conditionProblem } from './condition.js'
import type { StepType } from './model.js'

export interface Jump {
  target: string
  path: YamlPath
  stepId: string
  what: string
}

type Cfg = Record<string, unknown>
const TOOL_SETS = ['none', 'all']

function condition(c: Checker, cfg: Cfg, key: string, path: YamlPath, id: string): void {
  const cond = cfg[key]
  const problem = typeof cond === 'string' ? conditionProblem(cond) : null
  if (problem) c.error(problem.replace(/^REVKA_ERR_\w+: /, ''), [...path, key], id)
}

function jump(cfg: Cfg, key: string, path: YamlPath, id: string, jumps: Jump[], what: string): void {
  const t = cfg[key]
  if (typeof t === 'string' || typeof t === 'number') jumps.push({ target: String(t), path: [...path, key], stepId: id, what })
}

export function semanticChecks(type: StepType, c: Checker, cfg: Cfg, p: YamlPath, id: string, jumps: Jump[]): void {
  switch (type) {
    case 'agent': {
      const tools = cfg.tools
      if (typeof tools === 'string' && !TOOL_SETS.includes(tools))
        c.warn(`tools '${tools}' is not a tool set this runner knows: the agent gets no tools (name them as a list, or use all/none)`, [...p, 'tools'], id)
      break
    }
    case 'conditional':
      if (Array.isArray(cfg.branches)) {
        cfg.branches.forEach((br, i) => {
          if (!br || typeof br !== 'object' || Array.isArray(br)) return
          condition(c, br as Cfg, 'condition', [...p, 'branches', i], id)
          jump(br as Cfg, 'goto', [...p, 'branches', i], id, jumps, 'branch goto')
        })
      }
      break
    case 'goto':
      condition(c, cfg, 'condition', p, id)
      jump(cfg, 'target', p, id, jumps, 'goto target')
      break
    case 'for_each':
      if (cfg.range === undefined && cfg.items === undefined) c.error('for_each needs range ("1..N") or items', p, id)
      break
    case 'human_approval':
      jump(cfg, 'on_reject_goto', p, id, jumps, 'on_reject_goto')
      break
    default:
      break
  }
}
