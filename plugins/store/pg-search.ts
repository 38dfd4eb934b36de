/**
 * Full-text search on PostgreSQL: the item row's generated `tsvector` columns (pg-schema.ts),
 * fed with the same texts the SQLite FTS5 index holds (fts-text.ts). A query is the words of the
 * user's text, all required, the last one as a prefix (`w1 & w2:*`, built from letters and digits
 * only, so no query syntax gets through) — what the SQLite store asks FTS5; `plainto_tsquery` and
 * `websearch_to_tsquery` cannot express the prefix. Ranked with `ts_rank` over the weights
 * name A 1.0, kind B 0.2, metadata C 0.1, older revisions D 0.05 — FTS5's bm25 column weights
 * (10, 2, 1, 0.5) in the same order.
 */
import type { Page, SearchHit, SearchQuery, SqlQueryable } from '@revka/plugin-sdk'
import { likePrefix } from './containers.js'
import { currentText, matchedIn, nameText, olderText, queryWords } from './fts-text.js'
import { ITEM_COLUMNS, type PgCore } from './pg-core.js'
import type { ItemRow } from './rules.js'

const WEIGHTS = '{0.05, 0.1, 0.2, 1.0}'

/** the full-text columns of a new item (with its first revision's metadata, if any) */
/**
 * Diacritics off (NFD, combining marks dropped), as FTS5's `remove_diacritics 2` does: applied to
 * the indexed texts and to the query's words, so "cafe" finds "Café" — in JavaScript, because
 * `unaccent` is an extension and not immutable, so no generated column could call it.
 */
export function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}+/gu, '')
}

export function ftsItem(item: Pick<ItemRow, 'item_name' | 'metadata'>, revisionMetadata: string | null): { name: string; current: string } {
  return { name: fold(nameText(item.item_name)), current: fold(currentText(item.metadata, revisionMetadata)) }
}

/** Move the item's full-text row on by one revision (inside the writer's transaction). */
export async function ftsRevision(
  q: SqlQueryable,
  item: Pick<ItemRow, 'id' | 'metadata'>,
  revisionMetadata: string,
  previousMetadata: string | null,
): Promise<void> {
  const older = (await q.query<{ fts_older: string }>('SELECT fts_older FROM store_items WHERE id = $1', [item.id])).rows[0]?.fts_older ?? ''
  await q.query('UPDATE store_items SET fts_current = $1, fts_older = $2 WHERE id = $3', [
    fold(currentText(item.metadata, revisionMetadata)),
    fold(olderText(older, previousMetadata)),
    item.id,
  ])
}

export async function search(c: PgCore, q: SearchQuery): Promise<Page<SearchHit>> {
  const words = queryWords(fold(String(q.query ?? '')))
  if (!words.length) return { items: [], total: 0 }
  const tsq = words.map((w, i) => (i === words.length - 1 ? `${w}:*` : w)).join(' & ')
  const col = q.include_revision_metadata === true ? 'i.fts_all' : 'i.fts'
  const args: unknown[] = [tsq]
  const where: string[] = [`${col} @@ to_tsquery('simple', $1)`]
  if (q.context) {
    const ctx = c.spacePath(q.context.includes('/') ? q.context : '/' + q.context).path
    args.push(ctx, likePrefix(ctx) + '/%')
    where.push(`(i.space_path = $${args.length - 1} OR i.space_path LIKE $${args.length} ESCAPE '\\')`)
  }
  if (q.kinds?.length) {
    args.push(q.kinds)
    where.push(`i.kind = ANY($${args.length}::text[])`)
  }
  if (!q.include_deprecated) where.push('NOT i.deprecated')
  const from = `FROM store_items i WHERE ${where.join(' AND ')}`
  const total = await c.count(c.sql, `SELECT COUNT(*) AS n ${from}`, args)
  const { offset, limit } = c.paging(q)
  const rows = await c.sql.query<ItemRow & { rank: number }>(
    `SELECT ${ITEM_COLUMNS}, ts_rank('${WEIGHTS}', ${col}, to_tsquery('simple', $1)) AS rank ${from}
      ORDER BY rank DESC, i.id LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
    [...args, limit, offset],
  )
  return { total, items: rows.rows.map((r) => ({ item: c.item(r), score: Number(r.rank), matched_in: matchedIn(r, String(q.query)) })) }
}
