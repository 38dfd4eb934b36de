/**
 * The open database and what every part of the store shares: the clock, the limits, row lookups
 * by kref, the row → wire-entity mapping and input checks. better-sqlite3 is synchronous, which is
 * what makes each public method atomic here: nothing else runs on the event loop between reading
 * the next revision number and committing the revision.
 */
import type BetterSqlite3 from 'better-sqlite3'
import {
  domainError,
  formatKref,
  isSafeSegment,
  parseKref,
  parseSpacePath,
  type Artifact,
  type Item,
  type Kref,
  type Metadata,
  type Project,
  type Revision,
  type Space,
} from '@revka/plugin-sdk'
import type { StoreLimits } from './limits.js'

export interface ItemRow {
  id: number
  project_id: number
  space_path: string
  item_name: string
  kind: string
  deprecated: number
  created_at: string
  author: string | null
  username: string | null
  metadata: string
}

export interface RevisionRow {
  id: number
  item_id: number
  number: number
  deprecated: number
  created_at: string
  author: string | null
  username: string | null
  metadata: string
  max_number: number
  tag_list: string | null
}

export interface ArtifactRow {
  id: number
  revision_id: number
  name: string
  location: string
  owned_size: number | null
  deprecated: number
  created_at: string
  metadata: string
}

export const REVISION_COLUMNS = `r.*,
  (SELECT MAX(number) FROM revisions m WHERE m.item_id = r.item_id) AS max_number,
  (SELECT group_concat(tag, char(31)) FROM tags t WHERE t.revision_id = r.id) AS tag_list`

const KIND_RE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/

export class Core {
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
    readonly limits: StoreLimits,
    readonly artifactRoot: string,
    readonly now: () => Date,
  ) {
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

  iso(): string {
    return this.now().toISOString()
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

  // ---- wire entities -------------------------------------------------------------------------

  itemKrefOf(row: Pick<ItemRow, 'space_path' | 'item_name' | 'kind'>): Kref {
    const p = row.space_path.slice(1).split('/')
    return { project: p[0], spaces: p.slice(1), name: row.item_name, kind: row.kind }
  }

  item(row: ItemRow): Item {
    return {
      kref: formatKref(this.itemKrefOf(row)),
      name: row.item_name,
      item_name: row.item_name,
      kind: row.kind,
      space_path: row.space_path,
      deprecated: row.deprecated === 1,
      created_at: row.created_at,
      metadata: JSON.parse(row.metadata),
      ...authorOf(row),
    }
  }

  revision(item: Pick<ItemRow, 'space_path' | 'item_name' | 'kind'>, r: RevisionRow): Revision {
    const k = this.itemKrefOf(item)
    const tags = r.tag_list ? r.tag_list.split('\u001f') : []
    const latest = r.number === r.max_number
    if (latest) tags.push('latest')
    tags.sort()
    return {
      kref: formatKref({ ...k, revision: r.number }),
      item_kref: formatKref(k),
      number: r.number,
      latest,
      tags,
      published: tags.includes('published'),
      deprecated: r.deprecated === 1,
      created_at: r.created_at,
      metadata: JSON.parse(r.metadata),
      ...authorOf(r),
    }
  }

  artifact(item: ItemRow, revNumber: number, a: ArtifactRow): Artifact {
    const k = this.itemKrefOf(item)
    return {
      kref: formatKref({ ...k, revision: revNumber, artifact: a.name }),
      name: a.name,
      location: a.location,
      revision_kref: formatKref({ ...k, revision: revNumber }),
      item_kref: formatKref(k),
      deprecated: a.deprecated === 1,
      created_at: a.created_at,
      metadata: JSON.parse(a.metadata),
    }
  }

  // ---- input checks --------------------------------------------------------------------------

  /** A string→string map within the byte bound; returns its JSON text. */
  metadataJson(m: Metadata | undefined, what: string): string {
    if (m === undefined || m === null) return '{}'
    if (typeof m !== 'object' || Array.isArray(m)) throw domainError('invalid_input', `${what} must be an object of strings`)
    for (const [key, v] of Object.entries(m)) {
      if (typeof v !== 'string') throw domainError('invalid_input', `${what}.${key} must be a string`)
      if (key.length === 0 || key.length > 256) throw domainError('invalid_input', `${what} keys must be 1–256 characters`)
    }
    const json = JSON.stringify(m)
    const bytes = Buffer.byteLength(json)
    if (bytes > this.limits.maxMetadataBytes) {
      throw domainError('too_large', `${what} is ${bytes} bytes; the store keeps at most ${this.limits.maxMetadataBytes} per map`, {
        limit: this.limits.maxMetadataBytes,
      })
    }
    return json
  }

  checkName(s: unknown, what: string): string {
    if (typeof s !== 'string' || !isSafeSegment(s))
      throw domainError('invalid_input', `${what} must be a non-empty name without "/", "\\", "?", "&", "#", control characters, "." or ".."`)
    return s
  }

  checkKind(s: unknown): string {
    if (typeof s !== 'string' || !KIND_RE.test(s)) throw domainError('invalid_input', 'kind must be a letter followed by letters, digits, "_" or "-" (≤ 64)')
    return s
  }

  spacePath(raw: string): { project: string; spaces: string[]; path: string } {
    return parseSpacePath(raw)
  }

  // ---- rows for the wire ---------------------------------------------------------------------

  projectOf(row: { name: string; description: string; deprecated: number; created_at: string; metadata: string }): Project {
    return { name: row.name, description: row.description, deprecated: row.deprecated === 1, created_at: row.created_at, metadata: JSON.parse(row.metadata) }
  }

  spaceOf(row: { path: string; name: string; parent_path: string; created_at: string; author: string | null; username: string | null }): Space {
    const depth = row.path.split('/').length - 1
    return { path: row.path, name: row.name, parent_path: row.parent_path, type: depth === 2 ? 'root' : 'sub', created_at: row.created_at, ...authorOf(row) }
  }
}

function authorOf(row: { author: string | null; username: string | null }): { author?: string; username?: string } {
  const out: { author?: string; username?: string } = {}
  if (row.author) out.author = row.author
  if (row.username) out.username = row.username
  return out
}
