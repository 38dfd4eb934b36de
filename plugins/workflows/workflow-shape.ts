/**
 * The wire `Workflow` of DOMAIN §7: a stored item's chosen revision plus its `workflow.yaml`, or a
 * built-in read from disk. `steps` is the contract's naive line count (not the parser's), so the
 * number the dashboard shows matches the reference for the same text.
 */
import { csvList, type Item, type Revision } from '@revka/plugin-sdk'
import { parse } from 'yaml'

export type WorkflowSource = 'custom' | 'builtin' | 'builtin-modified'

export interface WorkflowTrigger {
  on_kind: string
  on_tag: string
  on_name_pattern?: string
  on_space?: string
}

/**
 * Lines that start with `- id:` (trimmed) after a line that is exactly `steps:` or `tasks:`,
 * until the next unindented key.
 */
export function countSteps(yaml: string): number {
  let inSteps = false
  let n = 0
  for (const line of yaml.split('\n')) {
    const raw = line.replace(/\r$/, '')
    if (raw === 'steps:' || raw === 'tasks:') {
      inSteps = true
      continue
    }
    if (!inSteps) continue
    if (/^[A-Za-z_]/.test(raw)) {
      inSteps = false
      continue
    }
    if (raw.trim().startsWith('- id:')) n++
  }
  return n
}

/** The YAML parsed as a document object, or null when it is not one (the validator reports why). */
export function parseDoc(yaml: string): Record<string, unknown> | null {
  try {
    const doc = parse(yaml, { maxAliasCount: 100 })
    return doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : null
  } catch {
    return null
  }
}

/** `triggers[]` entries with an `on_kind` (event triggers; cron-only entries are the scheduler's). */
export function eventTriggers(doc: Record<string, unknown> | null): WorkflowTrigger[] {
  const list = Array.isArray(doc?.triggers) ? (doc!.triggers as unknown[]) : []
  const out: WorkflowTrigger[] = []
  for (const t of list) {
    if (!t || typeof t !== 'object') continue
    const r = t as Record<string, unknown>
    if (typeof r.on_kind !== 'string' || !r.on_kind) continue
    const trig: WorkflowTrigger = { on_kind: r.on_kind, on_tag: typeof r.on_tag === 'string' && r.on_tag ? r.on_tag : 'ready' }
    if (typeof r.on_name_pattern === 'string') trig.on_name_pattern = r.on_name_pattern
    if (typeof r.on_space === 'string') trig.on_space = r.on_space
    out.push(trig)
  }
  return out
}

function withDefinition(w: Record<string, unknown>, yaml: string, includeDefinition: boolean): Record<string, unknown> {
  w.steps = countSteps(yaml)
  if (!includeDefinition) return w
  w.definition = yaml
  const triggers = eventTriggers(parseDoc(yaml))
  if (triggers.length) w.triggers = triggers
  return w
}

/** A stored workflow. `createdAt` false answers `created_at: null` (the PUT answer, §7.1). */
export function workflowOf(
  item: Item,
  rev: Revision | null,
  yaml: string,
  o: { includeDefinition?: boolean; source?: WorkflowSource; createdAt?: boolean } = {},
): Record<string, unknown> {
  const m = rev?.metadata ?? {}
  const w: Record<string, unknown> = {
    kref: item.kref,
    name: m.display_name || item.item_name,
    item_name: item.item_name,
    deprecated: item.deprecated,
    created_at: o.createdAt === false ? null : (item.created_at ?? null),
    description: m.description ?? '',
    definition: '',
    version: String(rev?.number ?? 0),
    tags: csvList(m.tags),
    steps: 0,
    revision_number: rev?.number ?? 0,
    source: o.source ?? 'custom',
  }
  return withDefinition(w, yaml, o.includeDefinition !== false)
}

export interface Builtin {
  slug: string
  yaml: string
  doc: Record<string, unknown> | null
}

/** A built-in read from disk: kref `builtin://<slug>`, revision 0, `version` from the YAML. */
export function builtinOf(b: Builtin, includeDefinition: boolean): Record<string, unknown> {
  const d = b.doc ?? {}
  const str = (v: unknown, dflt: string) => (typeof v === 'string' || typeof v === 'number' ? String(v) : dflt)
  const w: Record<string, unknown> = {
    kref: `builtin://${b.slug}`,
    name: str(d.name, b.slug),
    item_name: b.slug,
    deprecated: false,
    created_at: null,
    description: str(d.description, ''),
    definition: '',
    version: str(d.version, '1.0'),
    tags: Array.isArray(d.tags) ? d.tags.filter((t): t is string => typeof t === 'string') : [],
    steps: 0,
    revision_number: 0,
    source: 'builtin',
  }
  return withDefinition(w, b.yaml, includeDefinition)
}
