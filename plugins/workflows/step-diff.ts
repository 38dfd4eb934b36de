/**
 * Which step ids a proposed YAML adds, changes or removes against a base (architect
 * `validate_yaml`, §8). Steps are found at every depth (`parallel.steps`, `for_each.steps`); a
 * step is "modified" when its definition differs as data (key order and YAML spelling ignored).
 */
import { parseDoc } from './workflow-shape.js'

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v) ?? 'null'
}

/** step id → its definition as canonical text, nested steps included, in document order */
export function stepsOf(yaml: string): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (list: unknown, depth: number) => {
    if (!Array.isArray(list) || depth > 8) return
    for (const s of list) {
      if (!s || typeof s !== 'object') continue
      const step = s as Record<string, unknown>
      if (typeof step.id === 'string' && !out.has(step.id)) out.set(step.id, stable(step))
      for (const v of Object.values(step)) {
        if (v && typeof v === 'object' && !Array.isArray(v)) walk((v as Record<string, unknown>).steps, depth + 1)
      }
      walk(step.steps, depth + 1)
    }
  }
  walk(parseDoc(yaml)?.steps, 0)
  return out
}

export interface StepDiff {
  added_step_ids: string[]
  modified_step_ids: string[]
  removed_step_ids: string[]
}

export function diffSteps(baseYaml: string | undefined, yaml: string): StepDiff {
  const next = stepsOf(yaml)
  if (baseYaml === undefined) return { added_step_ids: [...next.keys()], modified_step_ids: [], removed_step_ids: [] }
  const base = stepsOf(baseYaml)
  return {
    added_step_ids: [...next.keys()].filter((id) => !base.has(id)),
    modified_step_ids: [...next.keys()].filter((id) => base.has(id) && base.get(id) !== next.get(id)),
    removed_step_ids: [...base.keys()].filter((id) => !next.has(id)),
  }
}
