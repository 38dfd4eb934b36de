/**
 * Edges between revisions and bundle membership on PostgreSQL. The primary keys make a duplicate
 * impossible even when two nodes add the same edge or member at once (the loser's unique
 * violation is answered 409 like the duplicate it is); the edge count is checked under the edges
 * lock, a bundle's member count under the bundle's row lock.
 */
import { domainError, edgeDirection, parseKref, type BundleMember, type Edge, type EdgeQuery, type Metadata, type SqlQueryable } from '@revka/plugin-sdk'
import { edgesOf, resolvedEdgesSql, type ResolvedEdgeRow } from './batch.js'
import { revisionIdsOf } from './pg-batch.js'
import type { PgCore } from './pg-core.js'
import { checkEdgeType, quotaError, type ItemRow, type MemberRow } from './rules.js'

const MAX_EDGES_PER_QUERY = 5000

/**
 * run `fn`; what a racing writer on another node causes is answered as if it had come first: a
 * unique violation (SQLSTATE 23505) is the 409 of a duplicate, a foreign-key violation (23503: an
 * end deleted meanwhile) the 404 of a missing one
 */
async function unique<T>(fn: () => Promise<T>, message: string): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    const code = (e as { code?: string }).code
    if (code === '23505') throw domainError('conflict', message)
    if (code === '23503') throw domainError('not_found', 'An item or revision it names was deleted meanwhile')
    throw e
  }
}

export async function createEdge(c: PgCore, input: { source_kref: string; target_kref: string; edge_type: string; metadata?: Metadata }): Promise<Edge> {
  checkEdgeType(input?.edge_type)
  const src = await c.requireRevision(c.sql, input.source_kref)
  const dst = await c.requireRevision(c.sql, input.target_kref)
  const metadata = c.metadataJson(input.metadata, 'metadata')
  const at = c.iso()
  await unique(
    () =>
      c.sql.transaction(async (q) => {
        if (
          (await q.query('SELECT 1 FROM store_edges WHERE source_id = $1 AND target_id = $2 AND edge_type = $3', [src.rev.id, dst.rev.id, input.edge_type]))
            .rows.length
        )
          throw domainError('conflict', 'That edge already exists')
        // the edge first (its revisions' key locks), then the total: the order deleteItem takes them in
        await q.query('INSERT INTO store_edges (source_id, target_id, edge_type, created_at, metadata) VALUES ($1, $2, $3, $4, $5)', [
          src.rev.id,
          dst.rev.id,
          input.edge_type,
          at,
          metadata,
        ])
        if ((await c.bump(q, 'edges', 1)) > c.limits.maxEdges) throw quotaError(`The store holds its maximum of ${c.limits.maxEdges} edges`, c.limits.maxEdges)
      }),
    'That edge already exists',
  )
  return c.edge(src, dst, input.edge_type, at, metadata)
}

export async function listEdges(c: PgCore, q: EdgeQuery): Promise<Edge[]> {
  const ids = await revisionIdsOf(c, Array.isArray(q.kref) ? q.kref : [q.kref])
  if (!ids.length) return []
  const dir = edgeDirection(q.direction)
  const args: unknown[] = [ids]
  const type = q.edge_type ? ` AND edge_type = $${args.push(q.edge_type)}` : ''
  const parts: string[] = []
  if (dir !== 'incoming') parts.push(`SELECT * FROM store_edges WHERE source_id = ANY($1::int[])${type}`)
  if (dir !== 'outgoing') parts.push(`SELECT * FROM store_edges WHERE target_id = ANY($1::int[])${type}`)
  const rows = await c.sql.query<ResolvedEdgeRow>(resolvedEdgesSql(parts, MAX_EDGES_PER_QUERY, { revisions: 'store_revisions', items: 'store_items' }), args)
  return edgesOf(c, rows.rows)
}

export async function deleteEdge(c: PgCore, source: string, target: string, type: string): Promise<boolean> {
  const src = await c.requireRevision(c.sql, source)
  const dst = await c.requireRevision(c.sql, target)
  return c.sql.transaction(async (q) => {
    const r = await q.query('DELETE FROM store_edges WHERE source_id = $1 AND target_id = $2 AND edge_type = $3', [src.rev.id, dst.rev.id, type])
    if (r.rowCount) await c.bump(q, 'edges', -r.rowCount)
    return r.rowCount > 0
  })
}

// ---- bundles ----------------------------------------------------------------------------------

async function bundleRow(c: PgCore, q: SqlQueryable, kref: string, forUpdate = false): Promise<ItemRow> {
  const { row } = await c.requireItem(q, kref, forUpdate)
  if (row.kind !== 'bundle') throw domainError('invalid_input', `${kref} is not a bundle`)
  return row
}

export async function addBundleMember(c: PgCore, bundleKref: string, itemKref: string, who: { added_by?: string } = {}): Promise<BundleMember> {
  return unique(
    () =>
      c.sql.transaction(async (q) => {
        const bundle = await bundleRow(c, q, bundleKref, true)
        const { row: member } = await c.requireItem(q, itemKref)
        if ((await q.query('SELECT 1 FROM store_bundle_members WHERE bundle_id = $1 AND member_id = $2', [bundle.id, member.id])).rows.length)
          throw domainError('conflict', 'Already a member of the bundle')
        if ((await c.count(q, 'SELECT COUNT(*) AS n FROM store_bundle_members WHERE bundle_id = $1', [bundle.id])) >= c.limits.maxBundleMembers)
          throw quotaError(`A bundle holds at most ${c.limits.maxBundleMembers} members`, c.limits.maxBundleMembers)
        const latest = (await q.query<{ n: number | null }>('SELECT MAX(number) AS n FROM store_revisions WHERE item_id = $1', [bundle.id])).rows[0].n
        const m = c.newMember(member, who, latest)
        const insert = 'INSERT INTO store_bundle_members (bundle_id, member_id, added_at, added_by, added_in_revision) VALUES ($1, $2, $3, $4, $5)'
        await q.query(insert, [bundle.id, member.id, m.added_at, m.added_by, m.added_in_revision])
        return c.member(m)
      }),
    'Already a member of the bundle',
  )
}

export async function removeBundleMember(c: PgCore, bundleKref: string, itemKref: string): Promise<boolean> {
  const bundle = await bundleRow(c, c.sql, bundleKref)
  const member = await c.itemRow(c.sql, parseKref(itemKref))
  if (!member) return false
  return (await c.sql.query('DELETE FROM store_bundle_members WHERE bundle_id = $1 AND member_id = $2', [bundle.id, member.id])).rowCount > 0
}

export async function listBundleMembers(c: PgCore, bundleKref: string): Promise<{ members: BundleMember[]; total_count: number }> {
  const bundle = await bundleRow(c, c.sql, bundleKref)
  const rows = await c.sql.query<MemberRow>(
    `SELECT i.space_path, i.item_name, i.kind, m.added_at, m.added_by, m.added_in_revision
      FROM store_bundle_members m JOIN store_items i ON i.id = m.member_id WHERE m.bundle_id = $1 ORDER BY m.added_at, i.item_name COLLATE "C"`,
    [bundle.id],
  )
  const members = rows.rows.map((r) => c.member(r))
  return { members, total_count: members.length }
}
