/**
 * The wire `Team` (§6): the list (summary) form from the bundle's current revision metadata, and
 * the full form with members (their agents' current revisions) and the team's edges.
 */
import { csvList, httpError, parseKref, typedBody, type DomainStore, type Item, type Metadata, type Revision } from '@revka/plugin-sdk'
import type { TeamEdge } from './team-graph.js'

export const AVATAR_KEYS = ['avatar_location', 'avatar_filename', 'avatar_mime', 'avatar_artifact_name'] as const

export interface TeamBody {
  name: string
  description?: string | null
  members?: string[] | null
  edges?: TeamEdge[] | null
}

export function teamBody(body: unknown): TeamBody {
  const b = typedBody(body, { required: ['name'], optional: ['description'], lists: ['members'] })
  if (b.edges !== undefined && b.edges !== null) {
    const ok =
      Array.isArray(b.edges) &&
      b.edges.every((e: any) => e && typeof e.from_kref === 'string' && typeof e.to_kref === 'string' && typeof e.edge_type === 'string')
    if (!ok) throw httpError(422, 'invalid_field', 'edges: expected an array of {from_kref, to_kref, edge_type} strings', { extra: { field: 'edges' } })
  }
  return b as TeamBody
}

/** Summary metadata of a bundle revision (§2), avatar keys kept from `current`. */
export function teamMetadata(b: TeamBody, members: string[], edges: number, current: Revision | null, isUpdate: boolean): Metadata {
  const m: Metadata = {
    description: b.description ?? '',
    member_count: String(members.length),
    member_names: members.map((k) => parseKref(k).name).join(','),
    edge_count: String(edges),
  }
  if (isUpdate) m.name = b.name
  for (const k of AVATAR_KEYS) if (current?.metadata[k]) m[k] = current.metadata[k]
  return m
}

type AvatarUrl = (base: 'agents' | 'teams', location: string | undefined) => string | null

function head(item: Item, rev: Revision | null, url: AvatarUrl) {
  const m = rev?.metadata ?? {}
  return {
    kref: item.kref,
    name: m.name || item.item_name,
    description: m.description ?? '',
    deprecated: item.deprecated,
    created_at: item.created_at ?? null,
    avatar_url: url('teams', m.avatar_location),
    avatar_artifact_name: m.avatar_artifact_name ?? null,
    avatar_filename: m.avatar_filename ?? null,
    avatar_mime: m.avatar_mime ?? null,
  }
}

export function teamSummary(item: Item, rev: Revision | null, url: AvatarUrl): Record<string, unknown> {
  const m = rev?.metadata ?? {}
  return {
    ...head(item, rev, url),
    members: [],
    edges: [],
    member_count: Number(m.member_count ?? 0),
    member_names: csvList(m.member_names),
    edge_count: Number(m.edge_count ?? 0),
  }
}

/** The edges of this team: outgoing edges of the members tagged with the team, between members. */
export async function teamEdges(store: DomainStore, bundleKref: string, members: string[]): Promise<TeamEdge[]> {
  if (!members.length) return []
  const set = new Set(members)
  const edges = await store.listEdges({ kref: members, direction: 'outgoing' })
  const out: TeamEdge[] = []
  const seen = new Set<string>()
  for (const e of edges) {
    if (e.metadata.team !== bundleKref) continue
    const from = stripRevision(e.source_kref)
    const to = stripRevision(e.target_kref)
    const key = `${from}\n${to}\n${e.edge_type}`
    if (!set.has(from) || !set.has(to) || seen.has(key)) continue
    seen.add(key)
    out.push({ from_kref: from, to_kref: to, edge_type: e.edge_type })
  }
  return out
}

export function stripRevision(kref: string): string {
  const q = kref.indexOf('?')
  return q < 0 ? kref : kref.slice(0, q)
}

export async function teamFull(store: DomainStore, item: Item, url: AvatarUrl): Promise<Record<string, unknown>> {
  const rev = await store.currentRevision(item.kref)
  const members = (await store.listBundleMembers(item.kref)).members.map((m) => m.item_kref)
  const revs = await store.currentRevisions(members)
  return {
    ...head(item, rev, url),
    members: members.map((k) => {
      const m = revs.get(k)?.metadata ?? {}
      const leaf = k.slice(k.lastIndexOf('/') + 1)
      return {
        kref: k,
        name: leaf.split('.')[0],
        role: m.role ?? '',
        agent_type: m.agent_type ?? '',
        identity: m.identity ?? '',
        expertise: csvList(m.expertise),
        avatar_url: url('agents', m.avatar_location),
      }
    }),
    edges: await teamEdges(store, item.kref, members),
  }
}
