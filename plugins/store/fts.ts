/**
 * The full-text index (FTS5, rowid = item id) and the search over it. `metadata` holds the
 * item's metadata values and its latest revision's; `revision_metadata` the values of up to
 * OLDER_REVISIONS_INDEXED older revisions, searched only with `include_revision_metadata`.
 * User text never reaches FTS5 syntax: it is cut into words, each quoted.
 */
import type { Page, SearchHit, SearchQuery } from '@revka/plugin-sdk'
import type { Core, ItemRow } from './core.js'
import { likePrefix } from './containers.js'

const OLDER_REVISIONS_INDEXED = 20
const MAX_TERMS = 16

function values(json: string): string {
  return Object.values(JSON.parse(json) as Record<string, string>).join(' ')
}

/** Rebuild the index row of one item (inside the writer's transaction). */
export function ftsRefresh(c: Core, itemId: number): void {
  const item = c.stmt('SELECT item_name, kind, metadata FROM items WHERE id = ?').get(itemId) as Pick<ItemRow, 'item_name' | 'kind' | 'metadata'> | undefined
  c.stmt('DELETE FROM items_fts WHERE rowid = ?').run(itemId)
  if (!item) return
  const revs = c.stmt('SELECT metadata FROM revisions WHERE item_id = ? ORDER BY number DESC LIMIT ?').all(itemId, OLDER_REVISIONS_INDEXED + 1) as Array<{ metadata: string }>
  const current = [values(item.metadata), revs[0] ? values(revs[0].metadata) : ''].join(' ')
  const older = revs.slice(1).map((r) => values(r.metadata)).join(' ')
  // item names are slugs: index their parts as words too ("senior-rust" finds "rust")
  const name = `${item.item_name} ${item.item_name.replace(/[-_.]+/g, ' ')}`
  c.stmt('INSERT INTO items_fts (rowid, name, kind, metadata, revision_metadata) VALUES (?, ?, ?, ?, ?)').run(itemId, name, item.kind, current, older)
}

/** Words of the query as an FTS5 expression (all words, the last one as a prefix), or null. */
export function ftsExpression(query: string, withRevisions: boolean): string | null {
  const words = (query.match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, MAX_TERMS)
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
  const { offset, limit } = paging(c, q)
  const rows = c.stmt(`SELECT i.*, bm25(items_fts, 10.0, 2.0, 1.0, 0.5) AS rank ${from} ORDER BY rank, i.id LIMIT ? OFFSET ?`)
    .all(...args, limit, offset) as Array<ItemRow & { rank: number }>
  const words = (String(q.query).toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])
  return {
    total,
    items: rows.map((r) => ({ item: c.item(r), score: -r.rank, matched_in: matchedIn(r, words) })),
  }
}

function matchedIn(r: ItemRow, words: string[]): string {
  const name = r.item_name.toLowerCase()
  if (words.some((w) => name.includes(w))) return 'name'
  if (words.some((w) => r.kind.toLowerCase().includes(w))) return 'kind'
  return 'metadata'
}

export function paging(c: Core, q: { offset?: number; limit?: number }): { offset: number; limit: number } {
  const offset = Number.isInteger(q.offset) && q.offset! > 0 ? q.offset! : 0
  const limit = Number.isInteger(q.limit) && q.limit! > 0 ? Math.min(q.limit!, c.limits.maxPageSize) : Math.min(100, c.limits.maxPageSize)
  return { offset, limit }
}
