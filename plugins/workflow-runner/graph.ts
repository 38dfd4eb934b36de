/**
 * The dependency graph of one scope of steps (the top level, or a parallel / for_each body):
 * `depends_on` plus the dependencies inferred from `${<step>.…}` references to a sibling, the
 * waves of a topological order, cycles, and a step's ancestor closure (`target_step_id`).
 */
import { references } from './interpolate.js'
import type { StepDef } from './model.js'

/** every string inside a value (a raw step mapping), nested children included */
export function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value)
  else if (Array.isArray(value)) for (const v of value) strings(v, out)
  else if (value && typeof value === 'object') for (const v of Object.values(value)) strings(v, out)
  return out
}

/** the sibling ids a raw step refers to through `${id.…}` (itself excluded) */
export function referencedSiblings(raw: unknown, selfId: string, siblings: Set<string>): string[] {
  const found = new Set<string>()
  for (const s of strings(raw)) {
    for (const ref of references(s)) {
      const root = ref.split('.')[0]
      if (root !== selfId && siblings.has(root)) found.add(root)
    }
  }
  return [...found]
}

/** Kahn's waves; `cycle` lists the steps left when no step is ready (a cycle among them). */
export function waves(steps: Array<{ id: string; depends_on: string[] }>): { waves: string[][]; cycle: string[] } {
  const ids = new Set(steps.map((s) => s.id))
  const indegree = new Map(steps.map((s) => [s.id, s.depends_on.filter((d) => ids.has(d)).length]))
  const dependents = new Map<string, string[]>(steps.map((s) => [s.id, []]))
  for (const s of steps) for (const d of s.depends_on) if (ids.has(d)) dependents.get(d)!.push(s.id)
  const out: string[][] = []
  let ready = steps.filter((s) => indegree.get(s.id) === 0).map((s) => s.id)
  let placed = 0
  while (ready.length) {
    out.push(ready)
    placed += ready.length
    const next: string[] = []
    for (const id of ready) {
      for (const d of dependents.get(id)!) {
        const n = indegree.get(d)! - 1
        indegree.set(d, n)
        if (n === 0) next.push(d)
      }
    }
    ready = next
  }
  return { waves: out, cycle: placed === steps.length ? [] : steps.filter((s) => indegree.get(s.id)! > 0).map((s) => s.id) }
}

/** `target` and every step it (transitively) depends on */
export function ancestorClosure(steps: StepDef[], target: string): Set<string> {
  const byId = new Map(steps.map((s) => [s.id, s]))
  const keep = new Set<string>()
  const stack = [target]
  while (stack.length) {
    const id = stack.pop()!
    if (keep.has(id) || !byId.has(id)) continue
    keep.add(id)
    stack.push(...byId.get(id)!.depends_on)
  }
  return keep
}

/** `from` and every step that (transitively) depends on it */
export function descendantClosure(steps: StepDef[], from: string): Set<string> {
  const out = new Set<string>([from])
  let grew = true
  while (grew) {
    grew = false
    for (const s of steps)
      if (!out.has(s.id) && s.depends_on.some((d) => out.has(d))) {
        out.add(s.id)
        grew = true
      }
  }
  return out
}
