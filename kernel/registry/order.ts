/**
 * Order by declared dependencies: providers start before those that require them, and stop after.
 * A cycle, a missing provider or two providers of one service fail the plugins involved with a
 * named error; dependents of a failed plugin fail too. A service listed under `uses` only orders:
 * its provider, when there is a viable one, starts first; a missing or failed one fails nobody.
 */
import type { PluginRecord } from './record.js'

export interface OrderResult {
  /** start waves: every plugin in a wave depends only on earlier waves */
  waves: PluginRecord[][]
  /** who provides each service (kernel services map to null) */
  providers: Map<string, PluginRecord | null>
}

export function orderPlugins(records: PluginRecord[], kernelServices: string[]): OrderResult {
  const providers = new Map<string, PluginRecord | null>()
  for (const s of kernelServices) providers.set(s, null)
  let live = records.filter((r) => r.viable)

  // double providers
  const claims = new Map<string, PluginRecord[]>()
  for (const r of live) for (const s of r.manifest!.provides ?? []) claims.set(s, [...(claims.get(s) ?? []), r])
  for (const [s, rs] of claims) {
    if (providers.has(s)) {
      for (const r of rs) r.fail(`REVKA_ERR_DUPLICATE_PROVIDER: service "${s}" is provided by the kernel; plugin ${r.id} may not provide it`)
    } else if (rs.length > 1) {
      const names = rs.map((r) => r.id).join(', ')
      for (const r of rs) r.fail(`REVKA_ERR_DUPLICATE_PROVIDER: service "${s}" is provided by more than one plugin (${names}); disable all but one`)
    } else providers.set(s, rs[0])
  }

  // missing providers and failed dependencies, to a fixed point
  let changed = true
  while (changed) {
    changed = false
    for (const r of records.filter((x) => x.viable)) {
      for (const s of r.manifest!.requires ?? []) {
        if (!providers.has(s)) {
          r.fail(`REVKA_ERR_MISSING_PROVIDER: plugin ${r.id} requires service "${s}", which no enabled plugin provides`)
          changed = true
          break
        }
        const p = providers.get(s)
        if (p && !p.viable) {
          r.fail(`REVKA_ERR_DEPENDENCY_FAILED: plugin ${r.id} requires "${s}" from ${p.id}, which is ${p.status}`)
          changed = true
          break
        }
      }
    }
  }

  // Kahn's algorithm in waves; what remains is in (or behind) a cycle
  live = records.filter((r) => r.viable)
  const deps = new Map<PluginRecord, Set<PluginRecord>>()
  for (const r of live) {
    const ds = new Set<PluginRecord>()
    for (const s of r.manifest!.requires ?? []) {
      const p = providers.get(s)
      if (p) ds.add(p)
    }
    for (const s of r.manifest!.uses ?? []) {
      const p = providers.get(s)
      if (p && p.viable && p !== r) ds.add(p)
    }
    deps.set(r, ds)
  }
  const waves: PluginRecord[][] = []
  const done = new Set<PluginRecord>()
  let remaining = [...live]
  while (remaining.length) {
    const wave = remaining.filter((r) => [...deps.get(r)!].every((d) => done.has(d)))
    if (!wave.length) break
    // code-unit order, as discovery sorts folders: ids are ASCII, and localeCompare's first call
    // loads an ICU collator (~15 ms of every start, and its data pages stay resident)
    wave.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    waves.push(wave)
    for (const r of wave) done.add(r)
    remaining = remaining.filter((r) => !done.has(r))
  }
  if (remaining.length) {
    const cycle = findCycle(remaining, deps)
    const text = cycle.map((r) => r.id).join(' → ')
    for (const r of remaining) {
      r.fail(cycle.includes(r) ? `REVKA_ERR_DEPENDENCY_CYCLE: ${text}` : `REVKA_ERR_DEPENDENCY_FAILED: plugin ${r.id} depends on a cycle (${text})`)
    }
  }
  return { waves, providers }
}

function findCycle(nodes: PluginRecord[], deps: Map<PluginRecord, Set<PluginRecord>>): PluginRecord[] {
  const set = new Set(nodes)
  for (const start of nodes) {
    const path: PluginRecord[] = []
    const seen = new Set<PluginRecord>()
    let cur: PluginRecord | undefined = start
    while (cur && !seen.has(cur)) {
      seen.add(cur)
      path.push(cur)
      cur = [...deps.get(cur)!].find((d) => set.has(d))
    }
    if (cur) {
      const i = path.indexOf(cur)
      return [...path.slice(i), cur]
    }
  }
  return nodes
}
