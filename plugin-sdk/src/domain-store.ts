/**
 * The domain store's service interface (DOMAIN.md §2): projects, spaces, items, revisions, tags,
 * artifacts, edges, bundles and full-text search. The `store` plugin provides it as
 * `domain-store` (embedded SQLite); route plugins (agents, skills, teams, memory graph, kumiho
 * proxy, assets, artifact body…) `require` it and never see its tables. This is the seam where a
 * PostgreSQL backend is added for cluster mode, so everything is async, plain JSON, and speaks
 * krefs (see kref.ts) — no SQLite types, no row ids.
 *
 * Entity fields use the wire names of §2, so the read-only proxy (§10) can serialise them as-is.
 * Every method that takes a kref accepts it with or without the `kref://` scheme and throws the
 * domain errors of domain-errors.ts: `kref_invalid` 400, `invalid_input` 400, `not_found` 404,
 * `conflict` 409, `too_large` 413, `quota_exceeded` 507.
 */
import { serviceRef } from './service-ref.js'

/** All item/revision/artifact/edge metadata are string→string maps (§1.5). */
export type Metadata = Record<string, string>

/** Optional author fields a writer may record (§1.5). */
export interface Authorship {
  author?: string
  username?: string
}

/** A project: the root of a space tree. */
export interface Project {
  name: string
  description: string
  deprecated: boolean
  created_at: string
  metadata: Metadata
}

/** A folder of items inside a project. */
export interface Space extends Authorship {
  /** `/Project/Space/Sub` */
  path: string
  name: string
  /** `/Project` for a top-level space */
  parent_path: string
  /** `root` for a space directly under the project, else `sub` */
  type: 'root' | 'sub'
  created_at: string
}

/** A versioned item in a space; its content lives in revisions. */
export interface Item extends Authorship {
  kref: string
  /** = item_name */
  name: string
  item_name: string
  kind: string
  /** `/Project/Space…` holding the item */
  space_path: string
  deprecated: boolean
  created_at: string
  metadata: Metadata
}

/** One numbered revision of an item, with its metadata, tags and artifacts. */
export interface Revision extends Authorship {
  /** `<item>?r=N` */
  kref: string
  item_kref: string
  number: number
  /** true only on the highest number (the virtual `latest` tag) */
  latest: boolean
  /** stored tags, plus `latest` on the highest revision */
  tags: string[]
  /** true when tagged `published` */
  published: boolean
  deprecated: boolean
  created_at: string
  /** a full snapshot; writers copy what they keep */
  metadata: Metadata
}

/** A named file of a revision. */
export interface Artifact {
  /** `<item>?r=N&a=<name>` */
  kref: string
  name: string
  /** absolute path, `file://` URI, or remote URI */
  location: string
  revision_kref: string
  item_kref: string
  deprecated: boolean
  created_at: string
  metadata: Metadata
}

/** A typed link between two revisions. */
export interface Edge {
  /** revision krefs */
  source_kref: string
  target_kref: string
  edge_type: string
  created_at: string
  metadata: Metadata
}

/** An item that belongs to a bundle. */
export interface BundleMember {
  item_kref: string
  added_at: string
  added_by: string | null
  /** the bundle's latest revision number when the member was added (null: none yet) */
  added_in_revision: number | null
}

/** One search result. */
export interface SearchHit {
  item: Item
  /** higher is better */
  score: number
  /** where the query matched: `name`, `kind`, `metadata`, `revision_metadata` */
  matched_in?: string
}

/** One page of a list. `total` counts every match, not just this page. */
export interface Page<T> {
  items: T[]
  total: number
}

/** Paging of a list query. */
export interface PageQuery {
  /** default 0 */
  offset?: number
  /** default 100, capped at `limits.maxPageSize` */
  limit?: number
}

/** `outgoing`/`out`/`0`, `incoming`/`in`/`1`, `both`/`2` on the wire; normalised by `edgeDirection`. */
export type EdgeDirection = 'outgoing' | 'incoming' | 'both'

/** Which revision is "current": `published`, falling back to the latest (§ summary 4). */
export type RevisionChoice = 'published-or-latest' | 'latest'

/** The file of an artifact the store writes itself (under its private directory). */
export interface ArtifactFile {
  content: Uint8Array | string
  /**
   * false: refuse (409) when a file already exists where the store would write this one (an
   * orphan of an earlier failed write); default true (replace it)
   */
  overwrite?: boolean
}

/** An artifact to attach to a new revision. */
export interface ArtifactInput {
  name: string
  /**
   * where the artifact's bytes live (absolute path, `file://` URI, remote URI). Omit it and give
   * `file` to have the store write the bytes under its own directory (atomic write).
   */
  location?: string
  file?: ArtifactFile
  metadata?: Metadata
  /**
   * with `file` in a new revision: also record the file's final location under this key of the
   * revision's metadata (e.g. `avatar_location`), in the same transaction
   */
  location_metadata_key?: string
}

/** A new revision's content. */
export interface RevisionInput extends Authorship {
  metadata?: Metadata
  /** tags to set on the new revision (pointer semantics: moved off the item's other revisions) */
  tags?: string[]
  artifacts?: ArtifactInput[]
}

/** A new item. */
export interface ItemInput extends Authorship {
  /** `/Project/Space…`; created (with its project) when missing */
  space_path: string
  item_name: string
  kind: string
  metadata?: Metadata
  /** create the first revision in the same transaction */
  revision?: RevisionInput
}

/** Which items of a space to list. */
export interface ListItemsQuery extends PageQuery {
  space_path: string
  /** include items of every space below `space_path` too */
  recursive?: boolean
  kinds?: string[]
  include_deprecated?: boolean
  /** substring of item_name (case-insensitive) */
  name_filter?: string
  /** `name` (default) or `recent` (created_at desc) */
  sort?: 'name' | 'recent'
}

/** A free-text search over items. */
export interface SearchQuery extends PageQuery {
  /** free text; FTS syntax characters are treated as plain words */
  query: string
  /** a project name or a space path (`/P/S`); omitted = everything */
  context?: string
  kinds?: string[]
  include_deprecated?: boolean
  /** also match revision metadata (default false: item name, kind, item metadata, current revision metadata) */
  include_revision_metadata?: boolean
}

/** Which edges to list. */
export interface EdgeQuery {
  /** one or many revision (or item) krefs; an item kref matches edges of any of its revisions */
  kref: string | string[]
  direction?: EdgeDirection
  edge_type?: string
}

/** The explicit bounds of the store; a write past one is refused (413 / 507) and changes nothing. */
export interface DomainStoreLimits {
  maxItems: number
  maxItemsPerSpace: number
  maxRevisionsPerItem: number
  /** serialized JSON bytes of one metadata map */
  maxMetadataBytes: number
  /** bytes of one artifact file the store writes */
  maxArtifactBytes: number
  maxArtifactsPerRevision: number
  maxSpaces: number
  maxEdges: number
  maxBundleMembers: number
  maxPageSize: number
}

/** The shared domain store (projects, spaces, items, revisions, artifacts, edges), reached through `DomainStoreRef`. */
export interface DomainStore {
  readonly limits: DomainStoreLimits
  /** absolute directory under which the store writes artifact files (for containment checks) */
  readonly artifactRoot: string

  // projects
  /** create or return the project; `created` tells which */
  ensureProject(name: string, opts?: { description?: string; metadata?: Metadata }): Promise<{ project: Project; created: boolean }>
  getProject(name: string): Promise<Project | null>
  listProjects(): Promise<Project[]>

  // spaces
  /** create the space and any missing parents (and the project); idempotent */
  ensureSpace(path: string, who?: Authorship): Promise<{ space: Space; created: boolean }>
  getSpace(path: string): Promise<Space | null>
  /** direct children of `parent_path` (a `/Project` or space path), or all descendants */
  listSpaces(q: { parent_path: string; recursive?: boolean }): Promise<Space[]>

  // items
  /** 409 `conflict` when (space, item_name, kind) exists, deprecated or not */
  createItem(input: ItemInput): Promise<{ item: Item; revision: Revision | null }>
  /** selectors are ignored; deprecated items are returned too */
  getItem(kref: string): Promise<Item | null>
  listItems(q: ListItemsQuery): Promise<Page<Item>>
  setItemDeprecated(kref: string, deprecated: boolean): Promise<Item>
  /** hard delete: revisions, artifacts (and the files the store wrote), edges, memberships */
  deleteItem(kref: string): Promise<void>

  // revisions
  /** one transaction: the revision, its tags and artifacts (files written first, removed on failure) */
  createRevision(itemKref: string, input: RevisionInput): Promise<Revision>
  /** `item?r=N`, `item?t=tag` (incl. `latest`), or a bare item kref (= latest); null if none */
  getRevision(kref: string): Promise<Revision | null>
  /** the current revision of an item by `choice` (default published-or-latest); null if it has none */
  currentRevision(itemKref: string, choice?: RevisionChoice): Promise<Revision | null>
  /** batch form of `currentRevision`, keyed by the item krefs as given */
  currentRevisions(itemKrefs: string[], choice?: RevisionChoice): Promise<Map<string, Revision | null>>
  /** ascending by number */
  listRevisions(itemKref: string): Promise<Revision[]>
  setRevisionDeprecated(kref: string, deprecated: boolean): Promise<Revision>
  /** put `tag` on this revision and take it off the item's others; `latest` is virtual (400) */
  tagRevision(kref: string, tag: string): Promise<Revision>
  untagRevision(kref: string, tag: string): Promise<Revision>

  // artifacts
  /** 409 when the revision already has an artifact of that name */
  createArtifact(revisionKref: string, input: ArtifactInput): Promise<Artifact>
  /** `item?r=N&a=name` (or `?t=tag&a=name`) */
  getArtifact(kref: string): Promise<Artifact | null>
  listArtifacts(revisionKref: string): Promise<Artifact[]>
  findArtifactsByLocation(location: string, opts?: { include_deprecated?: boolean }): Promise<Artifact[]>
  setArtifactDeprecated(kref: string, deprecated: boolean): Promise<Artifact>
  /**
   * Replace the bytes of an artifact the store wrote (its location is under `artifactRoot`);
   * atomic. 400 when the artifact's file is not the store's.
   */
  writeArtifactFile(kref: string, file: ArtifactFile): Promise<Artifact>
  /**
   * The real path of `location` (`file://` allowed) when it is a regular file inside
   * `artifactRoot` after resolving symlinks; null otherwise.
   */
  containedArtifactPath(location: string): Promise<string | null>

  // edges (between revisions)
  /** 409 on a duplicate (source, target, type); both revisions must exist (404) */
  createEdge(input: { source_kref: string; target_kref: string; edge_type: string; metadata?: Metadata }): Promise<Edge>
  listEdges(q: EdgeQuery): Promise<Edge[]>
  /** true when an edge was removed */
  deleteEdge(source_kref: string, target_kref: string, edge_type: string): Promise<boolean>

  // bundles (items of kind `bundle`)
  /** 409 when already a member; 404 when either item is missing */
  addBundleMember(bundleKref: string, itemKref: string, who?: { added_by?: string }): Promise<BundleMember>
  /** true when a member was removed */
  removeBundleMember(bundleKref: string, itemKref: string): Promise<boolean>
  listBundleMembers(bundleKref: string): Promise<{ members: BundleMember[]; total_count: number }>

  // search
  search(q: SearchQuery): Promise<Page<SearchHit>>
}

/** The service name in manifests: `"requires": ["domain-store"]`. */
export const DomainStoreRef = serviceRef<DomainStore>('domain-store')

/** Normalise a wire direction (`outgoing`/`out`/`0`, `incoming`/`in`/`1`, anything else both). */
export function edgeDirection(raw: string | undefined | null): EdgeDirection {
  const d = (raw ?? '').toLowerCase()
  if (d === 'outgoing' || d === 'out' || d === '0') return 'outgoing'
  if (d === 'incoming' || d === 'in' || d === '1') return 'incoming'
  return 'both'
}
