/**
 * `PgDomainStore`: the domain-store service on the cluster's PostgreSQL (`shared-sql`), used
 * instead of the embedded SQLite store when the kernel lends the plugin that service (cluster
 * mode). Same interface, same checks and answers (StoreRules, revision-input, fts-text); every
 * write the SQLite store makes in one transaction is one PostgreSQL transaction here. A lost
 * PostgreSQL rejects with the kernel's 503 `cluster_unavailable`, which routes let through.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type {
  Artifact,
  ArtifactFile,
  ArtifactInput,
  Authorship,
  BundleMember,
  DomainStore,
  Edge,
  EdgeQuery,
  Item,
  ItemInput,
  ListItemsQuery,
  Metadata,
  Page,
  Project,
  Revision,
  RevisionChoice,
  RevisionInput,
  SearchHit,
  SearchQuery,
  SharedSqlService,
  Space,
} from '@revka/plugin-sdk'
import type { StoreLimits } from './limits.js'
import { PgCore } from './pg-core.js'
import { LocalCopies } from './pg-files.js'
import { PG_STEPS } from './pg-schema.js'
import * as containers from './pg-containers.js'
import * as items from './pg-items.js'
import * as revisions from './pg-revisions.js'
import * as artifacts from './pg-artifacts.js'
import * as graph from './pg-graph.js'
import { currentRevisions } from './pg-batch.js'
import { search } from './pg-search.js'

export class PgDomainStore implements DomainStore {
  private readonly copies: LocalCopies
  private constructor(private readonly c: PgCore) {
    this.copies = new LocalCopies(c)
  }

  /** Migrates the `store_…` tables (once in the cluster); local copies of artifact files go under `<dir>/artifacts`. */
  static async open(sql: SharedSqlService, dir: string, limits: StoreLimits, now: () => Date = () => new Date()): Promise<PgDomainStore> {
    await sql.migrate('store', PG_STEPS)
    const root = join(dir, 'artifacts')
    mkdirSync(root, { recursive: true, mode: 0o700 })
    return new PgDomainStore(new PgCore(sql, limits, root, now))
  }

  get limits(): StoreLimits {
    return this.c.limits
  }
  get artifactRoot(): string {
    return this.c.artifactRoot
  }

  ensureProject(name: string, opts?: { description?: string; metadata?: Metadata }): Promise<{ project: Project; created: boolean }> {
    return containers.ensureProject(this.c, name, opts)
  }
  getProject(name: string): Promise<Project | null> {
    return containers.getProject(this.c, name)
  }
  listProjects(): Promise<Project[]> {
    return containers.listProjects(this.c)
  }
  ensureSpace(path: string, who?: Authorship): Promise<{ space: Space; created: boolean }> {
    return containers.ensureSpace(this.c, path, who)
  }
  getSpace(path: string): Promise<Space | null> {
    return containers.getSpace(this.c, path)
  }
  listSpaces(q: { parent_path: string; recursive?: boolean }): Promise<Space[]> {
    return containers.listSpaces(this.c, q)
  }

  createItem(input: ItemInput): Promise<{ item: Item; revision: Revision | null }> {
    return items.createItem(this.c, this.copies, input)
  }
  getItem(kref: string): Promise<Item | null> {
    return items.getItem(this.c, kref)
  }
  listItems(q: ListItemsQuery): Promise<Page<Item>> {
    return items.listItems(this.c, q)
  }
  setItemDeprecated(kref: string, deprecated: boolean): Promise<Item> {
    return items.setItemDeprecated(this.c, kref, deprecated)
  }
  deleteItem(kref: string): Promise<void> {
    return items.deleteItem(this.c, this.copies, kref)
  }

  createRevision(itemKref: string, input: RevisionInput): Promise<Revision> {
    return revisions.createRevision(this.c, this.copies, itemKref, input)
  }
  getRevision(kref: string): Promise<Revision | null> {
    return revisions.getRevision(this.c, kref)
  }
  currentRevision(itemKref: string, choice?: RevisionChoice): Promise<Revision | null> {
    return revisions.currentRevision(this.c, itemKref, choice)
  }
  currentRevisions(itemKrefs: string[], choice?: RevisionChoice): Promise<Map<string, Revision | null>> {
    return currentRevisions(this.c, itemKrefs, choice)
  }
  listRevisions(itemKref: string): Promise<Revision[]> {
    return revisions.listRevisions(this.c, itemKref)
  }
  setRevisionDeprecated(kref: string, deprecated: boolean): Promise<Revision> {
    return revisions.setRevisionDeprecated(this.c, kref, deprecated)
  }
  tagRevision(kref: string, tag: string): Promise<Revision> {
    return revisions.tagRevision(this.c, kref, tag)
  }
  untagRevision(kref: string, tag: string): Promise<Revision> {
    return revisions.untagRevision(this.c, kref, tag)
  }

  createArtifact(revisionKref: string, input: ArtifactInput): Promise<Artifact> {
    return artifacts.createArtifact(this.c, this.copies, revisionKref, input)
  }
  getArtifact(kref: string): Promise<Artifact | null> {
    return artifacts.getArtifact(this.c, this.copies, kref)
  }
  listArtifacts(revisionKref: string): Promise<Artifact[]> {
    return artifacts.listArtifacts(this.c, this.copies, revisionKref)
  }
  findArtifactsByLocation(location: string, opts?: { include_deprecated?: boolean }): Promise<Artifact[]> {
    return artifacts.findArtifactsByLocation(this.c, this.copies, location, opts)
  }
  setArtifactDeprecated(kref: string, deprecated: boolean): Promise<Artifact> {
    return artifacts.setArtifactDeprecated(this.c, kref, deprecated)
  }
  writeArtifactFile(kref: string, file: ArtifactFile): Promise<Artifact> {
    return artifacts.writeArtifactFile(this.c, this.copies, kref, file)
  }
  containedArtifactPath(location: string): Promise<string | null> {
    return artifacts.containedArtifactPath(this.c, this.copies, location)
  }

  createEdge(input: { source_kref: string; target_kref: string; edge_type: string; metadata?: Metadata }): Promise<Edge> {
    return graph.createEdge(this.c, input)
  }
  listEdges(q: EdgeQuery): Promise<Edge[]> {
    return graph.listEdges(this.c, q)
  }
  deleteEdge(source: string, target: string, type: string): Promise<boolean> {
    return graph.deleteEdge(this.c, source, target, type)
  }

  addBundleMember(bundleKref: string, itemKref: string, who?: { added_by?: string }): Promise<BundleMember> {
    return graph.addBundleMember(this.c, bundleKref, itemKref, who)
  }
  removeBundleMember(bundleKref: string, itemKref: string): Promise<boolean> {
    return graph.removeBundleMember(this.c, bundleKref, itemKref)
  }
  listBundleMembers(bundleKref: string): Promise<{ members: BundleMember[]; total_count: number }> {
    return graph.listBundleMembers(this.c, bundleKref)
  }

  search(q: SearchQuery): Promise<Page<SearchHit>> {
    return search(this.c, q)
  }
}
