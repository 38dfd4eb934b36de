/**
 * The memory graph of §9, built from the domain store: items (by space, or by full-text search)
 * become nodes, the edges between their latest revisions become edges between nodes.
 */
import { itemKref, KREF_SCHEME, type DomainStore, type Item } from '@revka/plugin-sdk'
import type { GraphParams } from './params.js'

const PER_SPACE = 200

export interface GraphNode {
  id: string
  name: string
  kind: string
  space: string
  created_at: string | null
  title: string | null
  summary: string | null
  revision_kref: string | null
}

export interface GraphEdge {
  source: string
  target: string
  edge_type: string
  metadata?: Record<string, string>
}

export interface MemoryGraph {
  nodes: GraphNode[]
  edges: GraphEdge[]
  spaces: string[]
  stats: { total_items: number; total_edges: number; kinds: Record<string, number> }
}

/** A failure of one step, answered 502 with the step's reference message. */
export class GraphStepError extends Error {}

const noScheme = (kref: string) => (kref.startsWith(KREF_SCHEME) ? kref.slice(KREF_SCHEME.length) : kref)

async function step<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    // a bad parameter the store refused is the caller's 400, not a 502
    if ((e as { statusCode?: number }).statusCode && (e as { statusCode: number }).statusCode < 500) throw e
    throw new GraphStepError(`${what}: ${(e as Error).message}`)
  }
}

/**
 * The candidate items and how many match in all. The reference stops listing once it holds more
 * than 2×limit items and reports only those as `total_items`; spaces skipped after that are still
 * counted here (a one-row page each), so "showing N of M" is true.
 */
async function collectItems(store: DomainStore, p: GraphParams, spacePaths: string[]): Promise<{ items: Item[]; total: number }> {
  if (p.search) {
    const hits = await step('Search failed', () =>
      store.search({
        query: p.search!,
        context: p.project,
        kinds: p.kinds.length ? p.kinds : undefined,
        limit: Math.min(2 * p.limit, store.limits.maxPageSize),
      }),
    )
    return { items: hits.items.map((h) => h.item), total: hits.total }
  }
  const items: Item[] = []
  let total = 0
  for (const path of spacePaths) {
    const enough = items.length > 2 * p.limit
    const page = await step('Failed to list items', () =>
      store.listItems({
        space_path: path,
        limit: enough ? 1 : Math.min(PER_SPACE, store.limits.maxPageSize),
        kinds: p.kinds.length ? p.kinds : undefined,
        sort: p.sort,
      }),
    )
    total += page.total
    if (!enough) items.push(...page.items)
  }
  return { items, total }
}

export async function buildGraph(store: DomainStore, p: GraphParams): Promise<MemoryGraph> {
  const root = `/${p.project}`
  // an unknown project is an empty graph (the dashboard shows "no memories"), not an error
  const exists = (await step('Failed to list spaces', () => store.getProject(p.project))) !== null
  const spaces = exists ? await step('Failed to list spaces', () => store.listSpaces({ parent_path: root, recursive: true })) : []
  let paths = exists ? [root, ...spaces.map((s) => s.path)] : []
  if (p.space) paths = paths.filter((path) => path === p.space || path.startsWith(p.space + '/'))

  const collected = exists ? await collectItems(store, p, paths) : { items: [], total: 0 }
  let items = collected.items.filter((i) => !i.deprecated && (!p.kinds.length || p.kinds.includes(i.kind)))
  items.sort(
    p.sort === 'name'
      ? (a, b) => a.item_name.localeCompare(b.item_name) || a.kref.localeCompare(b.kref)
      : (a, b) => b.created_at.localeCompare(a.created_at) || a.kref.localeCompare(b.kref),
  )
  const kinds: Record<string, number> = {}
  for (const i of items) kinds[i.kind] = (kinds[i.kind] ?? 0) + 1
  const totalItems = Math.max(collected.total, items.length)
  items = items.slice(0, p.limit)

  const latest = await step('Failed to read revisions', () =>
    store.currentRevisions(
      items.map((i) => i.kref),
      'latest',
    ),
  )
  const nodes: GraphNode[] = items.map((i) => {
    const rev = latest.get(i.kref) ?? null
    return {
      id: noScheme(i.kref),
      name: i.item_name,
      kind: i.kind,
      space: i.space_path.replace(/^\//, ''),
      created_at: i.created_at ?? null,
      title: rev?.metadata.title ?? null,
      summary: rev?.metadata.summary ?? null,
      revision_kref: rev?.kref ?? null,
    }
  })

  const ids = new Set(nodes.map((n) => n.id))
  const revKrefs = [...latest.values()].filter((r) => r !== null).map((r) => r!.kref)
  const raw = revKrefs.length ? await step('Failed to list edges', () => store.listEdges({ kref: revKrefs, direction: 'both' })) : []
  const seen = new Set<string>()
  const edges: GraphEdge[] = []
  for (const e of raw) {
    const source = noScheme(itemKref(e.source_kref))
    const target = noScheme(itemKref(e.target_kref))
    if (source === target || !ids.has(source) || !ids.has(target)) continue
    const key = `${source}\n${target}\n${e.edge_type}`
    if (seen.has(key)) continue
    seen.add(key)
    edges.push(
      Object.keys(e.metadata ?? {}).length ? { source, target, edge_type: e.edge_type, metadata: e.metadata } : { source, target, edge_type: e.edge_type },
    )
  }

  return {
    nodes,
    edges,
    spaces: paths.map((path) => path.slice(1)),
    stats: { total_items: totalItems, total_edges: edges.length, kinds },
  }
}
