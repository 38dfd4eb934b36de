/**
 * The full-text index (FTS5, rowid = item id) and the search over it. `metadata` holds the
 * item's metadata values and its latest revision's; `revision_metadata` the values of up to
 * OLDER_REVISIONS_INDEXED older revisions, searched only with `include_revision_metadata`.
 * User text never reaches FTS5 syntax: it is cut into words, each quoted.
 */
import type { Page, SearchHit, SearchQuery } from '@revka/plugin-sdk'
import type { Core, ItemRow } from './core.js'
import { likePrefix } from './containers.js'
import { currentText, matchedIn, nameText, olderText, queryWords } from './fts-text.js'

/**
 * Index a new item (inside the writer's transaction), with its first revision's metadata when it
 * is created with one: one INSERT, no read-back.
 */
export function ftsAddItem(c: Core, itemId: number, item: Pick<ItemRow, 'item_name' | 'kind' | 'metadata'>, revisionMetadata: string | null): void {
  const current = currentText(item.metadata, revisionMetadata)
  c.stmt('INSERT INTO items_fts (rowid, name, kind, metadata, revision_metadata) VALUES (?, ?, ?, ?, ?)').run(
    itemId,
    nameText(item.item_name),
    item.kind,
    current,
    '',
  )
}

/**
 * Move the item's index row on by one revision (inside the writer's transaction): the new
 * revision's values become current, the previous latest's values are pushed onto the older list,
 * which keeps OLDER_REVISIONS_INDEXED revisions (one per SEP-separated chunk). Only this row is
 * updated — the item's revisions are not read again.
 */
export function ftsAddRevision(c: Core, item: Pick<ItemRow, 'id' | 'metadata'>, revisionMetadata: string, previousMetadata: string | null): void {
  const row = c.stmt('SELECT revision_metadata FROM items_fts WHERE rowid = ?').get(item.id) as { revision_metadata: string } | undefined
  c.stmt('UPDATE items_fts SET metadata = ?, revision_metadata = ? WHERE rowid = ?').run(
    currentText(item.metadata, revisionMetadata),
    olderText(row?.revision_metadata ?? '', previousMetadata),
    item.id,
  )
}

/** Words of the query as an FTS5 expression (all words, the last one as a prefix), or null. */
export function ftsExpression(query: string, withRevisions: boolean): string | null {
  const words = queryWords(query)
  if (!words.length) return null
  const expr = words.map((w, i) => `"${w}"${i === words.length - 1 ? '*' : ''}`).join(' ')
  return withRevisions ? expr : `{name kind metadata} : (${expr})`
}

export function search(c: Core, q: SearchQuery): Page<SearchHit> {
  const expr = ftsExpression(String(q.query ?? ''), q.include_revision_metadata === true)
  if (!expr) return { items: [], total: 0 }
  const where: string[] = ['items_fts MATCH ?']
  const args: unknown[] = [expr]
  if (q.context) {
    const ctx = c.spacePath(q.context.includes('/') ? q.context : '/' + q.context).path
    where.push("(i.space_path = ? OR i.space_path LIKE ? ESCAPE '\\')")
    args.push(ctx, likePrefix(ctx) + '/%')
  }
  if (q.kinds?.length) {
    where.push(`i.kind IN (${q.kinds.map(() => '?').join(',')})`)
    args.push(...q.kinds)
  }
  if (!q.include_deprecated) where.push('i.deprecated = 0')
  const from = `FROM items_fts JOIN items i ON i.id = items_fts.rowid WHERE ${where.join(' AND ')}`
  const total = (c.stmt(`SELECT COUNT(*) AS n ${from}`).get(...args) as { n: number }).n
  const { offset, limit } = c.paging(q)
  const rows = c
    .stmt(`SELECT i.*, bm25(items_fts, 10.0, 2.0, 1.0, 0.5) AS rank ${from} ORDER BY rank, i.id LIMIT ? OFFSET ?`)
    .all(...args, limit, offset) as Array<ItemRow & { rank: number }>
  return {
    total,
    items: rows.map((r) => ({ item: c.item(r), score: -r.rank, matched_in: matchedIn(r, String(q.query)) })),
  }
}
