/**
 * `SqliteDomainStore`: the embedded backend of the `domain-store` service. It opens
 * `<plugin dir>/domain.db` (created 0600 before SQLite opens it; WAL, foreign keys on) and
 * implements the SDK's DomainStore by delegating to one module per concept. Every method is
 * `async` so a rejected promise — never a synchronous throw — carries its domain error, as a
 * networked backend's would.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import {
  ensurePrivateFile,
  type Artifact,
  type ArtifactFile,
  type ArtifactInput,
  type Authorship,
  type BundleMember,
  type DomainStore,
  type Edge,
  type EdgeQuery,
  type Item,
  type ItemInput,
  type ListItemsQuery,
  type Metadata,
  type Page,
  type Project,
  type Revision,
  type RevisionChoice,
  type RevisionInput,
  type SearchHit,
  type SearchQuery,
  type Space,
} from '@revka/plugin-sdk'
import { Core } from './core.js'
import { SCHEMA, SCHEMA_VERSION } from './schema.js'
import type { StoreLimits } from './limits.js'
import * as containers from './containers.js'
import * as items from './items.js'
import * as revisions from './revisions.js'
import * as artifacts from './artifacts.js'
import * as graph from './graph.js'
import * as batch from './batch.js'
import { search } from './fts.js'
import { containedPath } from './artifact-files.js'

export class SqliteDomainStore implements DomainStore {
  private constructor(private readonly c: Core) {}

  /** Opens (creating) the database under `dir`; better-sqlite3 is imported here so setup stays light. */
  static async open(dir: string, limits: StoreLimits, now: () => Date = () => new Date()): Promise<SqliteDomainStore> {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const file = join(dir, 'domain.db')
    ensurePrivateFile(file)
    const { default: Database } = await import('better-sqlite3')
    const db: BetterSqlite3.Database = new Database(file)
    try {
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
      db.pragma('foreign_keys = ON')
      db.exec(SCHEMA)
      db.pragma(`user_version = ${SCHEMA_VERSION}`)
    } catch (e) {
      db.close()
      throw e
    }
    const root = join(dir, 'artifacts')
    mkdirSync(root, { recursive: true, mode: 0o700 })
    return new SqliteDomainStore(new Core(db, limits, root, now))
  }

  close(): void {
    if (this.c.db.open) this.c.db.close()
  }

  get limits(): StoreLimits {
    return this.c.limits
  }
  get artifactRoot(): string {
    return this.c.artifactRoot
  }

  async ensureProject(name: string, opts?: { description?: string; metadata?: Metadata }): Promise<{ project: Project; created: boolean }> {
    return containers.ensureProject(this.c, name, opts)
  }
  async getProject(name: string): Promise<Project | null> {
    return containers.getProject(this.c, name)
  }
  async listProjects(): Promise<Project[]> {
    return containers.listProjects(this.c)
  }
  async ensureSpace(path: string, who?: Authorship): Promise<{ space: Space; created: boolean }> {
    return containers.ensureSpace(this.c, path, who)
  }
  async getSpace(path: string): Promise<Space | null> {
    return containers.getSpace(this.c, path)
  }
  async listSpaces(q: { parent_path: string; recursive?: boolean }): Promise<Space[]> {
    return containers.listSpaces(this.c, q)
  }

  async createItem(input: ItemInput): Promise<{ item: Item; revision: Revision | null }> {
    return items.createItem(this.c, input)
  }
  async getItem(kref: string): Promise<Item | null> {
    return items.getItem(this.c, kref)
  }
  async listItems(q: ListItemsQuery): Promise<Page<Item>> {
    return items.listItems(this.c, q)
  }
  async setItemDeprecated(kref: string, deprecated: boolean): Promise<Item> {
    return items.setItemDeprecated(this.c, kref, deprecated)
  }
  async deleteItem(kref: string): Promise<void> {
    items.deleteItem(this.c, kref)
  }

  async createRevision(itemKref: string, input: RevisionInput): Promise<Revision> {
    return revisions.createRevision(this.c, itemKref, input)
  }
  async getRevision(kref: string): Promise<Revision | null> {
    return revisions.getRevision(this.c, kref)
  }
  async currentRevision(itemKref: string, choice?: RevisionChoice): Promise<Revision | null> {
    return revisions.currentRevision(this.c, itemKref, choice)
  }
  async currentRevisions(itemKrefs: string[], choice?: RevisionChoice): Promise<Map<string, Revision | null>> {
    return batch.currentRevisions(this.c, itemKrefs, choice)
  }
  async listRevisions(itemKref: string): Promise<Revision[]> {
    return revisions.listRevisions(this.c, itemKref)
  }
  async setRevisionDeprecated(kref: string, deprecated: boolean): Promise<Revision> {
    return revisions.setRevisionDeprecated(this.c, kref, deprecated)
  }
  async tagRevision(kref: string, tag: string): Promise<Revision> {
    return revisions.tagRevision(this.c, kref, tag)
  }
  async untagRevision(kref: string, tag: string): Promise<Revision> {
    return revisions.untagRevision(this.c, kref, tag)
  }

  async createArtifact(revisionKref: string, input: ArtifactInput): Promise<Artifact> {
    return artifacts.createArtifact(this.c, revisionKref, input)
  }
  async getArtifact(kref: string): Promise<Artifact | null> {
    return artifacts.getArtifact(this.c, kref)
  }
  async listArtifacts(revisionKref: string): Promise<Artifact[]> {
    return artifacts.listArtifacts(this.c, revisionKref)
  }
  async findArtifactsByLocation(location: string, opts?: { include_deprecated?: boolean }): Promise<Artifact[]> {
    return artifacts.findArtifactsByLocation(this.c, location, opts)
  }
  async setArtifactDeprecated(kref: string, deprecated: boolean): Promise<Artifact> {
    return artifacts.setArtifactDeprecated(this.c, kref, deprecated)
  }
  async writeArtifactFile(kref: string, file: ArtifactFile): Promise<Artifact> {
    return artifacts.writeArtifactFile(this.c, kref, file)
  }
  async containedArtifactPath(location: string): Promise<string | null> {
    return containedPath(this.c, location)
  }

  async createEdge(input: { source_kref: string; target_kref: string; edge_type: string; metadata?: Metadata }): Promise<Edge> {
    return graph.createEdge(this.c, input)
  }
  async listEdges(q: EdgeQuery): Promise<Edge[]> {
    return graph.listEdges(this.c, q)
  }
  async deleteEdge(source: string, target: string, type: string): Promise<boolean> {
    return graph.deleteEdge(this.c, source, target, type)
  }

  async addBundleMember(bundleKref: string, itemKref: string, who?: { added_by?: string }): Promise<BundleMember> {
    return graph.addBundleMember(this.c, bundleKref, itemKref, who)
  }
  async removeBundleMember(bundleKref: string, itemKref: string): Promise<boolean> {
    return graph.removeBundleMember(this.c, bundleKref, itemKref)
  }
  async listBundleMembers(bundleKref: string): Promise<{ members: BundleMember[]; total_count: number }> {
    return graph.listBundleMembers(this.c, bundleKref)
  }

  async search(q: SearchQuery): Promise<Page<SearchHit>> {
    return search(this.c, q)
  }
}
