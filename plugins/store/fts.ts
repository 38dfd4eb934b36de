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
/** between older revisions' values: a control character, hence a word break to the tokenizer */
const SEP = '\u001f'

function values(json: string): string {
  return Object.values(JSON.parse(json) as Record<string, string>).join(' ')
}

/** item names are slugs: their parts are indexed as words too ("senior-rust" finds "rust") */
function nameText(name: string): string {
  return `${name} ${name.replace(/[-_.]+/g, ' ')}`
}

/**
 * Index a new item (inside the writer's transaction), with its first revision's metadata when it
 * is created with one: one INSERT, no read-back.
 */
export function ftsAddItem(c: Core, itemId: number, item: Pick<ItemRow, 'item_name' | 'kind' | 'metadata'>, revisionMetadata: string | null): void {
  const current = revisionMetadata === null ? values(item.metadata) : `${values(item.metadata)} ${values(revisionMetadata)}`
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
  const older = row?.revision_metadata ? row.revision_metadata.split(SEP) : []
  if (previousMetadata !== null) older.unshift(values(previousMetadata))
  c.stmt('UPDATE items_fts SET metadata = ?, revision_metadata = ? WHERE rowid = ?').run(
    `${values(item.metadata)} ${values(revisionMetadata)}`,
    older.slice(0, OLDER_REVISIONS_INDEXED).join(SEP),
    item.id,
  )
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
  const rows = c
    .stmt(`SELECT i.*, bm25(items_fts, 10.0, 2.0, 1.0, 0.5) AS rank ${from} ORDER BY rank, i.id LIMIT ? OFFSET ?`)
    .all(...args, limit, offset) as Array<ItemRow & { rank: number }>
  const words =
    String(q.query)
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
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
