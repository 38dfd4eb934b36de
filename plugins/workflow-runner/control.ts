/**
 * The bodies of `parallel` (children in their dependency waves, at most `max_concurrency` at
 * once, then the `join`: all | any | majority) and `for_each` (`range "1..N"` or `items`, the
 * body once per item with `${for_each.<variable>|index|iteration|total}`, at most
 * `max_iterations`, `fail_fast`). Children are leaf steps; each child's result is recorded under
 * its own id (in for_each: the last pass), so `${child.output}` and the run detail see it.
 */
import { waves } from './graph.js'
import { render, type Scope } from './interpolate.js'
import type { StepDef, StepResult } from './model.js'
import { cut } from './redact.js'

/**
 * each child's output as it appears in the body step's output_data (the children's own results
 * keep theirs whole): 50 passes of 10 children stay a bounded record
 */
const DATA_OUTPUT_CHARS = 4000

export type RunChild = (child: StepDef, scope: Scope) => Promise<StepResult>

async function pool<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await fn(items[next++])
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/** children in dependency waves; stops after a wave with a failure when `stopOnFail` */
async function body(children: StepDef[], scope: Scope, limit: number, run: RunChild, stopOnFail: boolean): Promise<Record<string, StepResult>> {
  const byId = new Map(children.map((c) => [c.id, c]))
  const out: Record<string, StepResult> = {}
  for (const wave of waves(children).waves) {
    await pool(wave, limit, async (id) => {
      const child = byId.get(id)!
      const r = await run(child, scope)
      out[id] = r
      scope.results[id] = r
    })
    if (stopOnFail && wave.some((id) => out[id]?.status === 'failed')) break
  }
  return out
}

export async function runParallel(step: StepDef, scope: Scope, run: RunChild): Promise<StepResult> {
  const join: string = step.config.join ?? 'all'
  const limit: number = step.config.max_concurrency ?? 10
  const done = await body(step.children, scope, limit, run, false)
  const ids = step.children.map((c) => c.id)
  const ok = ids.filter((id) => done[id]?.status === 'completed').length
  const need = join === 'any' ? 1 : join === 'majority' ? Math.floor(ids.length / 2) + 1 : ids.length
  const outputs = Object.fromEntries(ids.map((id) => [id, done[id]?.output ?? '']))
  const output_data = {
    join,
    completed: ok,
    failed: ids.length - ok,
    results: Object.fromEntries(ids.map((id) => [id, { status: done[id]?.status ?? 'skipped', output: cut(done[id]?.output ?? '', DATA_OUTPUT_CHARS) }])),
  }
  if (ok >= need) return { status: 'completed', output: JSON.stringify(outputs), output_data }
  const failed = ids.filter((id) => done[id]?.status !== 'completed')
  return {
    status: 'failed',
    output: JSON.stringify(outputs),
    output_data,
    error: `join ${join}: ${ok} of ${ids.length} branches completed (${failed.map((id) => `${id}: ${done[id]?.error ?? 'not run'}`).join('; ')})`,
  }
}

/** the items of a for_each, or a message saying why there are none to run */
export function forEachItems(step: StepDef, scope: Scope): unknown[] | string {
  const max: number = step.config.max_iterations ?? 50
  let items: unknown[]
  if (typeof step.config.range === 'string') {
    const [a, b] = step.config.range.split('..').map((x: string) => Number(x.trim()))
    if (b - a + 1 > max) return `range ${step.config.range} has ${b - a + 1} iterations, more than max_iterations ${max}`
    items = b < a ? [] : Array.from({ length: b - a + 1 }, (_, i) => a + i)
  } else if (Array.isArray(step.config.items)) {
    items = step.config.items.map((v: unknown) => (typeof v === 'string' ? render(v, scope) : v))
  } else {
    const text = render(String(step.config.items ?? ''), scope).trim()
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = text ? text.split(/\s*[\n,]\s*/).filter(Boolean) : []
    }
    items = Array.isArray(parsed) ? parsed : [parsed]
  }
  if (items.length > max) return `for_each has ${items.length} items, more than max_iterations ${max}`
  return items
}

export async function runForEach(step: StepDef, scope: Scope, run: RunChild): Promise<StepResult> {
  const items = forEachItems(step, scope)
  if (typeof items === 'string') return { status: 'failed', output: '', output_data: {}, error: items }
  const variable: string = step.config.variable ?? 'item'
  const failFast = step.config.fail_fast !== false
  const passes: Array<{ iteration: number; item: unknown; status: string; outputs: Record<string, string> }> = []
  const last = step.children.length ? step.children[step.children.length - 1].id : ''
  // the body's last step's whole output per pass: the for_each's own output (capped as any output)
  const lastOutputs: string[] = []
  for (let i = 0; i < items.length; i++) {
    const inner: Scope = { ...scope, for_each: { [variable]: items[i], item: items[i], index: i, iteration: i + 1, total: items.length } }
    const done = await body(step.children, inner, 1, run, true)
    const failed = Object.values(done).some((r) => r.status === 'failed')
    lastOutputs.push(done[last]?.output ?? '')
    passes.push({
      iteration: i + 1,
      item: items[i],
      status: failed ? 'failed' : 'completed',
      outputs: Object.fromEntries(Object.entries(done).map(([k, r]) => [k, cut(r.output, DATA_OUTPUT_CHARS)])),
    })
    if (failed && failFast) {
      const why = Object.entries(done).find(([, r]) => r.status === 'failed')!
      return {
        status: 'failed',
        output: JSON.stringify(lastOutputs),
        output_data: { iterations: passes },
        error: `iteration ${i + 1} (${JSON.stringify(items[i])}): step '${why[0]}' failed: ${why[1].error ?? ''}`,
      }
    }
  }
  const failures = passes.filter((p) => p.status === 'failed').length
  const result: StepResult = {
    status: failures && failures === passes.length ? 'failed' : 'completed',
    output: JSON.stringify(lastOutputs),
    output_data: { iterations: passes, total: items.length, failed: failures },
  }
  if (result.status === 'failed') result.error = `every one of the ${failures} iterations failed`
  return result
}
