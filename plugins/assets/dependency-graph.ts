/**
 * `GET /api/assets/dependency-graph` (§11): breadth-first from one revision along its edges
 * (`direction` outgoing / incoming / both, `depth` 1..3, `edge_type` or all), at most `node_limit`
 * (1..200) nodes; each node carries its revision, item, artifacts and the edges touching it.
 */
import { formatKref, httpError, parseKref, type DomainStore, type Edge, type RouteAdder } from '@revka/plugin-sdk'
import { queryStr } from './fields.js'
import { ASSET_LIMITS } from './limits.js'

function direction(raw: string | undefined): 'outgoing' | 'incoming' | 'both' {
  const d = (raw ?? 'both').trim().toLowerCase()
  if (['upstream', 'dependencies', 'out', 'outgoing'].includes(d)) return 'outgoing'
  if (['downstream', 'dependents', 'in', 'incoming'].includes(d)) return 'incoming'
  return 'both'
}

function clampInt(raw: string | undefined, name: string, def: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return def
  if (!/^[0-9]{1,9}$/.test(raw)) throw httpError(400, 'invalid_query', `${name} must be a non-negative integer`)
  return Math.min(max, Math.max(min, Number(raw)))
}

function neighbours(e: Edge, center: string, dir: string): string[] {
  const out: string[] = []
  if (dir !== 'incoming' && e.source_kref === center) out.push(e.target_kref)
  if (dir !== 'outgoing' && e.target_kref === center) out.push(e.source_kref)
  return out
}

async function graphNode(s: DomainStore, kref: string, edges: Edge[]) {
  const incoming_edges = edges.filter((e) => e.target_kref === kref)
  const outgoing_edges = edges.filter((e) => e.source_kref === kref)
  const rev = await s.getRevision(kref).catch(() => null)
  if (!rev) {
    return {
      kref,
      item_kref: null,
      item_name: null,
      kind: null,
      revision_number: null,
      tags: [],
      metadata: {},
      artifacts: [],
      incoming_edges,
      outgoing_edges,
      created_at: null,
      missing: true,
    }
  }
  const [item, artifacts] = await Promise.all([s.getItem(rev.item_kref), s.listArtifacts(rev.kref)])
  return {
    kref: rev.kref,
    item_kref: rev.item_kref,
    item_name: item?.item_name ?? null,
    kind: item?.kind ?? null,
    revision_number: rev.number,
    tags: rev.tags,
    metadata: rev.metadata,
    artifacts,
    incoming_edges,
    outgoing_edges,
    created_at: rev.created_at,
    missing: false,
  }
}

export function addDependencyGraphRoute(routes: RouteAdder, store: () => DomainStore): void {
  routes.add({
    method: 'GET',
    url: '/api/assets/dependency-graph',
    auth: 'bearer',
    ...ASSET_LIMITS,
    description:
      '?revision_kref&direction&depth(1..3)&edge_type&node_limit(1..200) → {center_kref, direction, depth, edge_type, node_limit, truncated, nodes, edges}',
    handler: async (req) => {
      const raw = (queryStr(req.query, 'revision_kref') ?? '').trim()
      if (!raw) throw httpError(400, 'field_required', 'revision kref is required')
      // the store answers krefs with their scheme: compare in that one spelling
      const center = formatKref(parseKref(raw))
      const dir = direction(queryStr(req.query, 'direction'))
      const depth = clampInt(queryStr(req.query, 'depth'), 'depth', 1, 1, 3)
      const nodeLimit = clampInt(queryStr(req.query, 'node_limit'), 'node_limit', 100, 1, 200)
      const rawType = queryStr(req.query, 'edge_type')?.trim()
      const edgeType = rawType && rawType !== 'all' ? rawType : null
      const s = store()

      const visited = new Set([center])
      const ordered = [center]
      const frontier: Array<[string, number]> = [[center, 0]]
      const edgeMap = new Map<string, Edge>()
      let truncated = false
      while (frontier.length) {
        const [kref, d] = frontier.shift()!
        if (d >= depth) continue
        for (const e of await s.listEdges({ kref, direction: dir, edge_type: edgeType ?? undefined })) {
          const key = `${e.source_kref}\n${e.edge_type}\n${e.target_kref}`
          if (!edgeMap.has(key)) edgeMap.set(key, e)
          for (const n of neighbours(e, kref, dir)) {
            if (visited.has(n)) continue
            if (ordered.length >= nodeLimit) {
              truncated = true
              continue
            }
            visited.add(n)
            ordered.push(n)
            frontier.push([n, d + 1])
          }
        }
      }
      const edges = [...edgeMap.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e)
      const nodes = await Promise.all(ordered.map((k) => graphNode(s, k, edges)))
      return { center_kref: center, direction: dir, depth, edge_type: edgeType, node_limit: nodeLimit, truncated, nodes, edges }
    },
  })
}
