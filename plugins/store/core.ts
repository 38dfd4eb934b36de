/**
 * The open database and what every part of the store shares: the clock, the limits, row lookups
 * by kref (the row → wire-entity mapping and the input checks are StoreRules, shared with PostgreSQL). better-sqlite3 is synchronous, which is
 * what makes each public method atomic here: nothing else runs on the event loop between reading
 * the next revision number and committing the revision.
 */
import type BetterSqlite3 from 'better-sqlite3'
import { domainError, formatKref, parseKref, type Kref } from '@revka/plugin-sdk'
import type { StoreLimits } from './limits.js'
import { StoreRules, type ItemRow, type RevisionRow } from './rules.js'

export type { ArtifactRow, ItemRow, RevisionRow } from './rules.js'

export const REVISION_COLUMNS = `r.*,
  (SELECT MAX(number) FROM revisions m WHERE m.item_id = r.item_id) AS max_number,
  (SELECT group_concat(tag, char(31)) FROM tags t WHERE t.revision_id = r.id) AS tag_list`

export class Core extends StoreRules {
  /** items per space path, counted once per path and kept up to date by the writers */
  readonly spaceCounts = new Map<string, number>()
  itemCount: number
  /** null after a delete cascaded edges away; recounted on the next edge write */
  edgeCount: number | null = null
  /**
   * list totals by query: counting a 100,000-item space costs milliseconds on every page, and only
   * this process writes items, so every item write (create, deprecate, delete) clears them
   */
  readonly listCounts = new Map<string, number>()
  /** prepared statements by SQL text: preparing costs more than running most of these */
  private readonly statements = new Map<string, BetterSqlite3.Statement>()

  constructor(
    readonly db: BetterSqlite3.Database,
    limits: StoreLimits,
    artifactRoot: string,
    now: () => Date,
  ) {
    super(limits, artifactRoot, now)
    this.itemCount = (db.prepare('SELECT COUNT(*) AS n FROM items').get() as { n: number }).n
  }

  /** A cached prepared statement (the SQL texts are the store's own, so the cache stays small). */
  stmt(sql: string): BetterSqlite3.Statement {
    let st = this.statements.get(sql)
    if (!st) {
      if (this.statements.size >= 512) this.statements.clear()
      st = this.db.prepare(sql)
      this.statements.set(sql, st)
    }
    return st
  }

  cacheListCount(key: string, n: number): void {
    if (this.listCounts.size >= 256) this.listCounts.clear()
    this.listCounts.set(key, n)
  }

  itemsInSpace(path: string): number {
    let n = this.spaceCounts.get(path)
    if (n === undefined) {
      n = (this.stmt('SELECT COUNT(*) AS n FROM items WHERE space_path = ?').get(path) as { n: number }).n
      this.spaceCounts.set(path, n)
    }
    return n
  }

  edges(): number {
    if (this.edgeCount === null) this.edgeCount = (this.stmt('SELECT COUNT(*) AS n FROM edges').get() as { n: number }).n
    return this.edgeCount
  }

  // ---- lookups -------------------------------------------------------------------------------

  itemRow(k: Kref): ItemRow | undefined {
    const space = '/' + [k.project, ...k.spaces].join('/')
    return this.stmt('SELECT * FROM items WHERE space_path = ? AND item_name = ? AND kind = ?').get(space, k.name, k.kind) as ItemRow | undefined
  }

  requireItem(kref: string): { k: Kref; row: ItemRow } {
    const k = parseKref(kref)
    const row = this.itemRow(k)
    if (!row) throw domainError('not_found', `Item not found: ${formatKref({ ...k, revision: undefined, tag: undefined, artifact: undefined })}`)
    return { k, row }
  }

  /** The revision a kref selects: `?r=N`, `?t=tag` (`latest` virtual), or the latest. */
  revisionRow(itemId: number, k: Pick<Kref, 'revision' | 'tag'>): RevisionRow | undefined {
    if (k.revision !== undefined) {
      return this.stmt(`SELECT ${REVISION_COLUMNS} FROM revisions r WHERE r.item_id = ? AND r.number = ?`).get(itemId, k.revision) as RevisionRow | undefined
    }
    if (k.tag !== undefined && k.tag !== 'latest') {
      return this.stmt(`SELECT ${REVISION_COLUMNS} FROM tags t JOIN revisions r ON r.id = t.revision_id WHERE t.item_id = ? AND t.tag = ?`).get(
        itemId,
        k.tag,
      ) as RevisionRow | undefined
    }
    return this.stmt(`SELECT ${REVISION_COLUMNS} FROM revisions r WHERE r.item_id = ? ORDER BY r.number DESC LIMIT 1`).get(itemId) as RevisionRow | undefined
  }

  requireRevision(kref: string): { k: Kref; item: ItemRow; rev: RevisionRow } {
    const { k, row } = this.requireItem(kref)
    const rev = this.revisionRow(row.id, k)
    if (!rev) throw domainError('not_found', `Revision not found: ${kref}`)
    return { k, item: row, rev }
  }

  /** published, else the latest */
  currentRow(itemId: number): RevisionRow | undefined {
    return this.revisionRow(itemId, { tag: 'published' }) ?? this.revisionRow(itemId, {})
  }
}
