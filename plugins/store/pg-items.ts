/**
 * Items on PostgreSQL: create (with its space chain and optional first revision, one
 * transaction, under the items lock so the store-wide and per-space bounds hold across nodes),
 * read, list (paged), deprecate and hard delete (cascading; this node's copies of the item's
 * files are removed after the commit, other nodes drop theirs when next asked for them).
 */
import { domainError, formatKref, parseKref, type Item, type ItemInput, type ListItemsQuery, type Page, type Revision } from '@revka/plugin-sdk'
import { likePrefix } from './containers.js'
import { ITEM_COLUMNS, type PgCore } from './pg-core.js'
import { ensureSpaceChain } from './pg-containers.js'
import type { BodyRef, LocalCopies } from './pg-files.js'
import { insertRevision } from './pg-revisions.js'
import { ftsItem } from './pg-search.js'
import { quotaError, type ItemRow } from './rules.js'

export async function createItem(c: PgCore, copies: LocalCopies, input: ItemInput): Promise<{ item: Item; revision: Revision | null }> {
  const { space, name, kind, k, metadata } = c.checkItem(input)
  const bodies: BodyRef[] = []
  const out = await c.sql.transaction(async (q) => {
    const { projectId } = await ensureSpaceChain(c, q, space.path, input)
    // the items total's row lock orders item creation across nodes (the conflict is still the first answer)
    const items = await c.bump(q, 'items', 1)
    if (await c.itemRow(q, k)) throw domainError('conflict', `Item already exists: ${formatKref(k)}`)
    if (items > c.limits.maxItems) throw quotaError(`The store holds its maximum of ${c.limits.maxItems} items`, c.limits.maxItems)
    if ((await c.count(q, 'SELECT COUNT(*) AS n FROM store_items WHERE space_path = $1', [space.path])) >= c.limits.maxItemsPerSpace)
      throw quotaError(`The space ${space.path} holds its maximum of ${c.limits.maxItemsPerSpace} items`, c.limits.maxItemsPerSpace)
    const fts = ftsItem({ item_name: name, metadata }, null)
    const row = (
      await q.query<ItemRow>(
        `INSERT INTO store_items AS i (project_id, space_path, item_name, kind, created_at, author, username, metadata, fts_name, fts_current)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${ITEM_COLUMNS}`,
        [projectId, space.path, name, kind, c.iso(), input.author ?? null, input.username ?? null, metadata, fts.name, fts.current],
      )
    ).rows[0]
    if (!input.revision) return { item: c.item(row), revision: null }
    const rev = await insertRevision(c, q, k, row, 1, input.revision, bodies)
    await q.query('UPDATE store_items SET fts_current = $1 WHERE id = $2', [ftsItem({ item_name: name, metadata }, rev.metadata).current, row.id])
    return { item: c.item(row), revision: c.revision(row, await c.revisionById(q, rev.id)) }
  })
  copies.wrote(bodies)
  return out
}

export async function getItem(c: PgCore, kref: string): Promise<Item | null> {
  const row = await c.itemRow(c.sql, parseKref(kref))
  return row ? c.item(row) : null
}

export async function listItems(c: PgCore, q: ListItemsQuery): Promise<Page<Item>> {
  const space = c.spacePath(q.space_path).path
  const args: unknown[] = []
  const arg = (v: unknown) => {
    args.push(v)
    return `$${args.length}`
  }
  const where: string[] = [
    q.recursive ? `(space_path = ${arg(space)} OR space_path LIKE ${arg(likePrefix(space) + '/%')} ESCAPE '\\')` : `space_path = ${arg(space)}`,
  ]
  if (q.kinds?.length) where.push(`kind = ANY(${arg(q.kinds)}::text[])`)
  if (!q.include_deprecated) where.push('NOT deprecated')
  // ILIKE: case-insensitive like SQLite's LIKE (which folds ASCII only)
  if (q.name_filter) where.push(`item_name ILIKE ${arg('%' + likePrefix(String(q.name_filter)) + '%')} ESCAPE '\\'`)
  const cond = where.join(' AND ')
  const total = await c.count(c.sql, `SELECT COUNT(*) AS n FROM store_items i WHERE ${cond}`, args)
  const { offset, limit } = c.paging(q)
  // byte order, as SQLite sorts, whatever the database's collation
  const order = q.sort === 'recent' ? 'created_at DESC, id DESC' : 'item_name COLLATE "C", kind COLLATE "C"'
  const rows = await c.sql.query<ItemRow>(
    `SELECT ${ITEM_COLUMNS} FROM store_items i WHERE ${cond} ORDER BY ${order} LIMIT ${arg(limit)} OFFSET ${arg(offset)}`,
    args,
  )
  return { items: rows.rows.map((r) => c.item(r)), total }
}

export async function setItemDeprecated(c: PgCore, kref: string, deprecated: boolean): Promise<Item> {
  if (typeof deprecated !== 'boolean') throw domainError('invalid_input', 'deprecated must be a boolean')
  const { row } = await c.requireItem(c.sql, kref)
  await c.sql.query('UPDATE store_items SET deprecated = $1 WHERE id = $2', [deprecated, row.id])
  return c.item({ ...row, deprecated })
}

export async function deleteItem(c: PgCore, copies: LocalCopies, kref: string): Promise<void> {
  const owned = await c.sql.transaction(async (q) => {
    const { row } = await c.requireItem(q, kref, true)
    // its revisions locked: no edge to them can be added while the totals below are counted
    const revs = (await q.query<{ id: number }>('SELECT id FROM store_revisions WHERE item_id = $1 FOR UPDATE', [row.id])).rows.map((r) => r.id)
    const owned = await q.query<{ location: string; owned_size: number }>(
      'SELECT a.location, a.owned_size FROM store_artifacts a WHERE a.revision_id = ANY($1::int[]) AND a.owned_size IS NOT NULL',
      [revs],
    )
    const edges = await c.count(q, 'SELECT COUNT(*) AS n FROM store_edges WHERE source_id = ANY($1::int[]) OR target_id = ANY($1::int[])', [revs])
    await q.query('DELETE FROM store_items WHERE id = $1', [row.id])
    await c.bump(q, 'items', -1)
    if (edges) await c.bump(q, 'edges', -edges)
    const bytes = owned.rows.reduce((n, a) => n + a.owned_size, 0)
    if (bytes) await c.bump(q, 'artifact_bytes', -bytes)
    return owned.rows.map((r) => r.location)
  })
  copies.forget(owned)
}
