/**
 * What the full-text index holds, shared by the SQLite (FTS5) and PostgreSQL (tsvector) indexes so
 * both find the same items for the same words: the item name with its slug parts, the kind, the
 * metadata values of the item and its current revision, and the values of up to
 * OLDER_REVISIONS_INDEXED older revisions (searched only with `include_revision_metadata`). User
 * text never reaches either engine's query syntax: it is cut into words (letters and digits).
 */
import type { ItemRow } from './rules.js'

export const OLDER_REVISIONS_INDEXED = 20
const MAX_TERMS = 16
/** between older revisions' values: a control character, hence a word break to both tokenizers */
export const OLDER_SEP = '\u001f'

/** the values of a metadata map (JSON text) as one text */
export function values(json: string): string {
  return Object.values(JSON.parse(json) as Record<string, string>).join(' ')
}

/** item names are slugs: their parts are indexed as words too ("senior-rust" finds "rust") */
export function nameText(name: string): string {
  return `${name} ${name.replace(/[-_.]+/g, ' ')}`
}

/** the indexed "current" text: the item's metadata values and its latest revision's */
export function currentText(itemMetadata: string, revisionMetadata: string | null): string {
  return revisionMetadata === null ? values(itemMetadata) : `${values(itemMetadata)} ${values(revisionMetadata)}`
}

/** the older-revisions text after one more revision: the previous latest's values pushed on, capped */
export function olderText(older: string, previousMetadata: string | null): string {
  const list = older ? older.split(OLDER_SEP) : []
  if (previousMetadata !== null) list.unshift(values(previousMetadata))
  return list.slice(0, OLDER_REVISIONS_INDEXED).join(OLDER_SEP)
}

/** the words of a query (all must match, the last one as a prefix); empty: nothing to search */
export function queryWords(query: string): string[] {
  return (query.match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, MAX_TERMS)
}

export function matchedIn(r: Pick<ItemRow, 'item_name' | 'kind'>, query: string): string {
  const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
  const name = r.item_name.toLowerCase()
  if (words.some((w) => name.includes(w))) return 'name'
  if (words.some((w) => r.kind.toLowerCase().includes(w))) return 'kind'
  return 'metadata'
}
