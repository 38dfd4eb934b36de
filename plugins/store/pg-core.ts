/**
 * What every part of the PostgreSQL store shares: the `shared-sql` service, row lookups by kref
 * (on the pool or inside a caller's transaction), the cluster-wide write locks, and the mapping
 * of owned artifact locations (stored relative to the artifact root) to this node's root. The
 * checks and the wire mapping are StoreRules, the same as the SQLite store's.
 *
 * Unlike better-sqlite3, every statement here yields to the event loop and other nodes write at
 * the same time, so a write that reads before it writes (the next revision number, a count
 * against a quota) takes a lock first, inside its transaction: the item's row (FOR UPDATE) for its
 * revisions, tags, artifacts and members, a running total's row (`bump`) for items, edges and
 * artifact bytes, or a transaction advisory lock for the project and space counts. Locks are
 * taken in one order — item and revision rows, then the items, edges and bytes totals — so two
 * writers never wait on each other.
 */
import { join, normalize, relative, isAbsolute, sep } from 'node:path'
import { localPath } from './artifact-files.js'
import { domainError, formatKref, parseKref, type Artifact, type Kref, type Revision, type SharedSqlService, type SqlQueryable } from '@revka/plugin-sdk'
import type { StoreLimits } from './limits.js'
import { StoreRules, spacePathOf, type ArtifactRow, type ItemRow, type RevisionRow } from './rules.js'

export interface PgRevisionRow extends RevisionRow {
  /** JSON array of the metadata keys holding an owned artifact's (relative) location */
  owned_keys: string | null
}

export const PG_REVISION_COLUMNS = `r.id, r.item_id, r.number, r.deprecated, r.created_at, r.author, r.username, r.metadata, r.owned_keys,
  (SELECT MAX(number) FROM store_revisions m WHERE m.item_id = r.item_id) AS max_number,
  (SELECT string_agg(tag, chr(31)) FROM store_tags t WHERE t.revision_id = r.id) AS tag_list`

export const ITEM_COLUMNS = 'i.id, i.project_id, i.space_path, i.item_name, i.kind, i.deprecated, i.created_at, i.author, i.username, i.metadata'
export const ARTIFACT_COLUMNS = 'a.id, a.revision_id, a.name, a.location, a.owned_size, a.deprecated, a.created_at, a.metadata'

/** the small store-wide counts (≤ 10,000 rows) a write checks under a transaction lock */
export const LOCK = { projects: 1, spaces: 2 } as const
/** pg_advisory_xact_lock(key1, key2) namespace: "stor" */
const LOCK_SPACE = 0x73746f72

export class PgCore extends StoreRules {
  constructor(
    readonly sql: SharedSqlService,
    limits: StoreLimits,
    artifactRoot: string,
    now: () => Date,
  ) {
    super(limits, artifactRoot, now)
  }

  /** Serialise a store-wide count across nodes until the transaction ends. */
  async lock(q: SqlQueryable, what: keyof typeof LOCK): Promise<void> {
    await q.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, LOCK[what]])
  }

  /**
   * Move a running total by `delta` in the caller's transaction and answer the new total; its row
   * stays locked until the transaction ends, which orders the writers of that total across nodes
   * (a refused write throws, and the rollback restores the total).
   */
  async bump(q: SqlQueryable, name: 'items' | 'edges' | 'artifact_bytes', delta: number): Promise<number> {
    return Number((await q.query<{ n: string }>('UPDATE store_counters SET n = n + $2 WHERE name = $1 RETURNING n', [name, delta])).rows[0].n)
  }

  async count(q: SqlQueryable, sql: string, args: unknown[] = []): Promise<number> {
    return Number((await q.query<{ n: string | number }>(sql, args)).rows[0].n)
  }

  // ---- lookups -------------------------------------------------------------------------------

  async itemRow(q: SqlQueryable, k: Kref, forUpdate = false): Promise<ItemRow | undefined> {
    const r = await q.query<ItemRow>(
      `SELECT ${ITEM_COLUMNS} FROM store_items i WHERE space_path = $1 AND item_name = $2 AND kind = $3${forUpdate ? ' FOR UPDATE' : ''}`,
      [spacePathOf(k), k.name, k.kind],
    )
    return r.rows[0]
  }

  async requireItem(q: SqlQueryable, kref: string, forUpdate = false): Promise<{ k: Kref; row: ItemRow }> {
    const k = parseKref(kref)
    const row = await this.itemRow(q, k, forUpdate)
    if (!row) throw domainError('not_found', `Item not found: ${formatKref({ ...k, revision: undefined, tag: undefined, artifact: undefined })}`)
    return { k, row }
  }

  /** The revision a kref selects: `?r=N`, `?t=tag` (`latest` virtual), or the latest. */
  async revisionRow(q: SqlQueryable, itemId: number, k: Pick<Kref, 'revision' | 'tag'>): Promise<PgRevisionRow | undefined> {
    if (k.revision !== undefined) {
      return (await q.query<PgRevisionRow>(`SELECT ${PG_REVISION_COLUMNS} FROM store_revisions r WHERE r.item_id = $1 AND r.number = $2`, [itemId, k.revision]))
        .rows[0]
    }
    if (k.tag !== undefined && k.tag !== 'latest') {
      return (
        await q.query<PgRevisionRow>(
          `SELECT ${PG_REVISION_COLUMNS} FROM store_tags t JOIN store_revisions r ON r.id = t.revision_id WHERE t.item_id = $1 AND t.tag = $2`,
          [itemId, k.tag],
        )
      ).rows[0]
    }
    return (await q.query<PgRevisionRow>(`SELECT ${PG_REVISION_COLUMNS} FROM store_revisions r WHERE r.item_id = $1 ORDER BY r.number DESC LIMIT 1`, [itemId]))
      .rows[0]
  }

  async revisionById(q: SqlQueryable, id: number): Promise<PgRevisionRow> {
    return (await q.query<PgRevisionRow>(`SELECT ${PG_REVISION_COLUMNS} FROM store_revisions r WHERE r.id = $1`, [id])).rows[0]
  }

  async requireRevision(q: SqlQueryable, kref: string, forUpdate = false): Promise<{ k: Kref; item: ItemRow; rev: PgRevisionRow }> {
    const { k, row } = await this.requireItem(q, kref, forUpdate)
    const rev = await this.revisionRow(q, row.id, k)
    if (!rev) throw domainError('not_found', `Revision not found: ${kref}`)
    return { k, item: row, rev }
  }

  // ---- owned locations -----------------------------------------------------------------------

  /** this node's path of an owned artifact's relative location */
  ownedPath(rel: string): string {
    return join(this.artifactRoot, rel)
  }

  /** the relative location of a path (or `file://` URI) under this node's artifact root, else null */
  relOf(location: string): string | null {
    const p = localPath(location)
    if (p === null) return null
    const rel = relative(this.artifactRoot, normalize(p))
    return rel && !rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('..') ? rel : null
  }

  override revision(item: Pick<ItemRow, 'space_path' | 'item_name' | 'kind'>, r: RevisionRow): Revision {
    const out = super.revision(item, r)
    const owned = (r as PgRevisionRow).owned_keys
    if (owned) for (const key of JSON.parse(owned) as string[]) if (out.metadata[key]) out.metadata[key] = this.ownedPath(out.metadata[key])
    return out
  }

  override artifact(item: Pick<ItemRow, 'space_path' | 'item_name' | 'kind'>, revNumber: number, a: ArtifactRow): Artifact {
    return super.artifact(item, revNumber, a.owned_size === null ? a : { ...a, location: this.ownedPath(a.location) })
  }
}
