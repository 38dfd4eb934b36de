/**
 * What both backends of the domain store share, whatever engine holds the rows: the limits and
 * the clock, the input checks, and the row → wire-entity mapping. The SQLite `Core` and the
 * PostgreSQL `PgCore` extend `StoreRules`, so a kref, a metadata map or a bad name is judged
 * and answered the same on a single node and in a cluster. Rows carry the columns both schemas
 * name alike; `deprecated` is 0/1 in SQLite and a boolean in PostgreSQL.
 */
import {
  domainError,
  formatKref,
  isSafeSegment,
  parseSpacePath,
  type Artifact,
  type BundleMember,
  type Edge,
  type ItemInput,
  type Item,
  type Kref,
  type Metadata,
  type Project,
  type Revision,
  type Space,
} from '@revka/plugin-sdk'
import type { StoreLimits } from './limits.js'

type Flag = number | boolean

export interface ItemRow {
  id: number
  project_id: number
  space_path: string
  item_name: string
  kind: string
  deprecated: Flag
  created_at: string
  author: string | null
  username: string | null
  metadata: string
}

export interface RevisionRow {
  id: number
  item_id: number
  number: number
  deprecated: Flag
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
  deprecated: Flag
  created_at: string
  metadata: string
}

export interface ProjectRow {
  id: number
  name: string
  description: string
  deprecated: Flag
  created_at: string
  metadata: string
}

export interface SpaceRow {
  id: number
  path: string
  name: string
  parent_path: string
  created_at: string
  author: string | null
  username: string | null
}

/** a bundle member row joined to its item */
export type MemberRow = Pick<ItemRow, 'space_path' | 'item_name' | 'kind'> & { added_at: string; added_by: string | null; added_in_revision: number | null }

const KIND_RE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/
const EDGE_TYPE_RE = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/
/** between stored tags in `tag_list`: a control character no tag name may hold */
export const TAG_SEP = '\u001f'

export const flag = (v: Flag): boolean => v === true || v === 1

/** 507 `quota_exceeded` with the bound that was hit */
export function quotaError(message: string, limit: number): Error {
  return domainError('quota_exceeded', message, { limit })
}

export function checkEdgeType(t: unknown): string {
  if (typeof t !== 'string' || !EDGE_TYPE_RE.test(t)) throw domainError('invalid_input', 'edge_type must be a name (letters, digits, _ . : -)')
  return t
}

export class StoreRules {
  constructor(
    readonly limits: StoreLimits,
    readonly artifactRoot: string,
    readonly now: () => Date,
  ) {}

  iso(): string {
    return this.now().toISOString()
  }

  /** offset/limit of a list query: default 100, capped at the page size */
  paging(q: { offset?: number; limit?: number }): { offset: number; limit: number } {
    const offset = Number.isInteger(q.offset) && q.offset! > 0 ? q.offset! : 0
    const max = this.limits.maxPageSize
    const limit = Number.isInteger(q.limit) && q.limit! > 0 ? Math.min(q.limit!, max) : Math.min(100, max)
    return { offset, limit }
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
      deprecated: flag(row.deprecated),
      created_at: row.created_at,
      metadata: JSON.parse(row.metadata),
      ...authorOf(row),
    }
  }

  revision(item: Pick<ItemRow, 'space_path' | 'item_name' | 'kind'>, r: RevisionRow): Revision {
    const k = this.itemKrefOf(item)
    const tags = r.tag_list ? r.tag_list.split(TAG_SEP) : []
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
      deprecated: flag(r.deprecated),
      created_at: r.created_at,
      metadata: JSON.parse(r.metadata),
      ...authorOf(r),
    }
  }

  artifact(item: Pick<ItemRow, 'space_path' | 'item_name' | 'kind'>, revNumber: number, a: ArtifactRow): Artifact {
    const k = this.itemKrefOf(item)
    return {
      kref: formatKref({ ...k, revision: revNumber, artifact: a.name }),
      name: a.name,
      location: a.location,
      revision_kref: formatKref({ ...k, revision: revNumber }),
      item_kref: formatKref(k),
      deprecated: flag(a.deprecated),
      created_at: a.created_at,
      metadata: JSON.parse(a.metadata),
    }
  }

  projectOf(row: { name: string; description: string; deprecated: Flag; created_at: string; metadata: string }): Project {
    return { name: row.name, description: row.description, deprecated: flag(row.deprecated), created_at: row.created_at, metadata: JSON.parse(row.metadata) }
  }

  spaceOf(row: { path: string; name: string; parent_path: string; created_at: string; author: string | null; username: string | null }): Space {
    const depth = row.path.split('/').length - 1
    return { path: row.path, name: row.name, parent_path: row.parent_path, type: depth === 2 ? 'root' : 'sub', created_at: row.created_at, ...authorOf(row) }
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

  /** a new item's checks: where, its name and kind, its metadata as JSON */
  checkItem(input: ItemInput) {
    if (!input || typeof input !== 'object') throw domainError('invalid_input', 'item input required')
    const space = this.spacePath(input.space_path)
    const name = this.checkName(input.item_name, 'item_name')
    const kind = this.checkKind(input.kind)
    return { space, name, kind, k: { project: space.project, spaces: space.spaces, name, kind }, metadata: this.metadataJson(input.metadata, 'metadata') }
  }

  /** a new membership of `member` (the bundle's latest revision number when added) */
  newMember(member: Pick<ItemRow, 'space_path' | 'item_name' | 'kind'>, who: { added_by?: string }, latest: number | null): MemberRow {
    const by = typeof who.added_by === 'string' ? who.added_by.slice(0, 256) : null
    return { space_path: member.space_path, item_name: member.item_name, kind: member.kind, added_at: this.iso(), added_by: by, added_in_revision: latest }
  }

  /** a bundle member on the wire */
  member(r: MemberRow): BundleMember {
    return { item_kref: formatKref(this.itemKrefOf(r)), added_at: r.added_at, added_by: r.added_by, added_in_revision: r.added_in_revision }
  }

  /** a stored edge on the wire (both engines answer the same shape) */
  edge(
    src: { item: ItemRow; rev: { number: number } },
    dst: { item: ItemRow; rev: { number: number } },
    edgeType: string,
    at: string,
    metadataJson: string,
  ): Edge {
    return {
      source_kref: formatKref({ ...this.itemKrefOf(src.item), revision: src.rev.number }),
      target_kref: formatKref({ ...this.itemKrefOf(dst.item), revision: dst.rev.number }),
      edge_type: edgeType,
      created_at: at,
      metadata: JSON.parse(metadataJson),
    }
  }

  /** the checks `ensureSpace` makes before touching the engine */
  spaceBelowProject(path: string): void {
    if (this.spacePath(path).spaces.length === 0) throw domainError('invalid_input', 'a space path needs a space below the project: /<project>/<space>')
  }
}

function authorOf(row: { author: string | null; username: string | null }): { author?: string; username?: string } {
  const out: { author?: string; username?: string } = {}
  if (row.author) out.author = row.author
  if (row.username) out.username = row.username
  return out
}

/** `/Project/Space…` of a kref */
export function spacePathOf(k: Pick<Kref, 'project' | 'spaces'>): string {
  return '/' + [k.project, ...k.spaces].join('/')
}
