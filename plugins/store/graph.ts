/**
 * Edges between revisions (typed, unique per (source, target, type)) and bundle membership.
 * An item kref in an edge query stands for every revision of that item.
 */
import { domainError, edgeDirection, parseKref, type BundleMember, type Edge, type EdgeQuery, type Metadata } from '@revka/plugin-sdk'
import type { Core, ItemRow } from './core.js'
import { edgeRows, edgesOf, revisionIdsOf } from './batch.js'
import { checkEdgeType, type MemberRow } from './rules.js'

const MAX_EDGES_PER_QUERY = 5000

export function createEdge(c: Core, input: { source_kref: string; target_kref: string; edge_type: string; metadata?: Metadata }): Edge {
  checkEdgeType(input?.edge_type)
  const src = c.requireRevision(input.source_kref)
  const dst = c.requireRevision(input.target_kref)
  const metadata = c.metadataJson(input.metadata, 'metadata')
  if (c.stmt('SELECT 1 FROM edges WHERE source_id = ? AND target_id = ? AND edge_type = ?').get(src.rev.id, dst.rev.id, input.edge_type)) {
    throw domainError('conflict', 'That edge already exists')
  }
  if (c.edges() >= c.limits.maxEdges)
    throw domainError('quota_exceeded', `The store holds its maximum of ${c.limits.maxEdges} edges`, { limit: c.limits.maxEdges })
  const at = c.iso()
  c.stmt('INSERT INTO edges (source_id, target_id, edge_type, created_at, metadata) VALUES (?, ?, ?, ?, ?)').run(
    src.rev.id,
    dst.rev.id,
    input.edge_type,
    at,
    metadata,
  )
  c.edgeCount = c.edges() + 1
  return c.edge(src, dst, input.edge_type, at, metadata)
}

export function listEdges(c: Core, q: EdgeQuery): Edge[] {
  const ids = revisionIdsOf(c, Array.isArray(q.kref) ? q.kref : [q.kref])
  if (!ids.length) return []
  return edgesOf(c, edgeRows(c, ids, edgeDirection(q.direction), q.edge_type || undefined, MAX_EDGES_PER_QUERY))
}

export function deleteEdge(c: Core, source: string, target: string, type: string): boolean {
  const src = c.requireRevision(source)
  const dst = c.requireRevision(target)
  const n = c.stmt('DELETE FROM edges WHERE source_id = ? AND target_id = ? AND edge_type = ?').run(src.rev.id, dst.rev.id, type).changes
  if (n) c.edgeCount = c.edges() - n
  return n > 0
}

// ---- bundles ----------------------------------------------------------------------------------

function bundleRow(c: Core, kref: string): ItemRow {
  const { row } = c.requireItem(kref)
  if (row.kind !== 'bundle') throw domainError('invalid_input', `${kref} is not a bundle`)
  return row
}

export function addBundleMember(c: Core, bundleKref: string, itemKref: string, who: { added_by?: string } = {}): BundleMember {
  const bundle = bundleRow(c, bundleKref)
  const { row: member } = c.requireItem(itemKref)
  if (c.stmt('SELECT 1 FROM bundle_members WHERE bundle_id = ? AND member_id = ?').get(bundle.id, member.id))
    throw domainError('conflict', 'Already a member of the bundle')
  const n = (c.stmt('SELECT COUNT(*) AS n FROM bundle_members WHERE bundle_id = ?').get(bundle.id) as { n: number }).n
  if (n >= c.limits.maxBundleMembers)
    throw domainError('quota_exceeded', `A bundle holds at most ${c.limits.maxBundleMembers} members`, { limit: c.limits.maxBundleMembers })
  const latest = (c.stmt('SELECT MAX(number) AS n FROM revisions WHERE item_id = ?').get(bundle.id) as { n: number | null }).n
  const m = c.newMember(member, who, latest)
  const insert = c.stmt('INSERT INTO bundle_members (bundle_id, member_id, added_at, added_by, added_in_revision) VALUES (?, ?, ?, ?, ?)')
  insert.run(bundle.id, member.id, m.added_at, m.added_by, m.added_in_revision)
  return c.member(m)
}

export function removeBundleMember(c: Core, bundleKref: string, itemKref: string): boolean {
  const bundle = bundleRow(c, bundleKref)
  const member = c.itemRow(parseKref(itemKref))
  if (!member) return false
  return c.stmt('DELETE FROM bundle_members WHERE bundle_id = ? AND member_id = ?').run(bundle.id, member.id).changes > 0
}

export function listBundleMembers(c: Core, bundleKref: string): { members: BundleMember[]; total_count: number } {
  const bundle = bundleRow(c, bundleKref)
  const rows = c
    .stmt(
      `SELECT i.space_path, i.item_name, i.kind, m.added_at, m.added_by, m.added_in_revision
    FROM bundle_members m JOIN items i ON i.id = m.member_id WHERE m.bundle_id = ? ORDER BY m.added_at, i.item_name`,
    )
    .all(bundle.id) as MemberRow[]
  const members = rows.map((r) => c.member(r))
  return { members, total_count: members.length }
}
