/**
 * Imported skins in cluster mode (the plugin lists `shared-sql` under `uses`): the cluster's
 * PostgreSQL holds each skin's validated manifest and its original ZIP, so a skin imported through
 * one node is listed, served and deleted through any. Each node keeps an extracted copy in its
 * private folder as a cache, tagged with the row's revision; a copy that is missing or older is
 * extracted again from the stored ZIP, through the same validating importer, on its first asset
 * request. The `max_skins` quota is counted in the shared table under a table lock, so two nodes
 * importing at once cannot pass it together.
 *
 * A skin imported into this node before it joined a cluster has no row and no revision: it is kept
 * and still served here (never removed for want of a row), but not listed — the start log names
 * it, to be imported again through any node to be shared.
 *
 * The asset route is public: its lookups of a skin's revision are cached for a moment (bounded
 * LRU) so a page full of images, or a stream of made-up ids, costs a handful of queries.
 */
import type { Logger, SharedSqlService, SqlMigration } from '@revka/plugin-sdk'
import { LRUCache } from 'lru-cache'
import { importSkin, quotaRefusal } from './importer.js'
import type { SkinManifest } from './manifest.js'
import type { SkinStore } from './store.js'

const MIGRATIONS: SqlMigration[] = [
  {
    id: 1,
    name: 'imported skins',
    // manifest as text: it is returned as stored, key order included
    sql: `CREATE SEQUENCE skins_revision;
          CREATE TABLE skins_imported (
            id TEXT PRIMARY KEY,
            manifest TEXT NOT NULL,
            zip BYTEA NOT NULL,
            revision BIGINT NOT NULL,
            updated_at_ms BIGINT NOT NULL);`,
  },
]

/** how long a node trusts what it read of a skin's revision (ms) */
const REVISION_TTL_MS = 2_000

export class SharedSkins {
  private readonly revisions = new LRUCache<string, { rev: number | null }>({ max: 4096, ttl: REVISION_TTL_MS })
  /** one extraction per skin at a time on this node */
  private readonly extracting = new Map<string, Promise<void>>()

  private constructor(
    private readonly sql: SharedSqlService,
    private readonly store: SkinStore,
    private readonly onWriteError: (err: Error) => void,
  ) {}

  static async open(sql: SharedSqlService, store: SkinStore, log: Logger, onWriteError: (err: Error) => void): Promise<SharedSkins> {
    await sql.migrate('skins', MIGRATIONS)
    const live = new Set((await sql.query<{ id: string }>('SELECT id FROM skins_imported')).rows.map((r) => r.id))
    const ownOnly: string[] = []
    for (const m of store.list()) {
      if (live.has(m.id)) continue
      // a copy of a skin deleted through another node while this one was away is not kept
      if (store.revision(m.id) !== null) store.delete(m.id)
      else ownOnly.push(m.id)
    }
    if (ownOnly.length)
      log.warn(
        { skins: ownOnly },
        'skins imported before this node joined the cluster are served by this node only and not listed; import them again to share them',
      )
    return new SharedSkins(sql, store, onWriteError)
  }

  async list(): Promise<SkinManifest[]> {
    const r = await this.sql.query<{ manifest: string }>('SELECT manifest FROM skins_imported')
    return r.rows.map((x) => JSON.parse(x.manifest) as SkinManifest)
  }

  /**
   * Before extracting: a new id past the quota is refused early (`save` checks again), and the
   * import gets the revision its local copy and its row will carry.
   */
  async admit(m: SkinManifest, maxSkins: number): Promise<number> {
    const r = await this.sql.query<{ n: string; mine: boolean | null; rev: string }>(
      `SELECT count(*) AS n, bool_or(id = $1) AS mine, nextval('skins_revision') AS rev FROM skins_imported`,
      [m.id],
    )
    if (!r.rows[0].mine && Number(r.rows[0].n) >= maxSkins) throw quotaRefusal(maxSkins)
    return Number(r.rows[0].rev)
  }

  /**
   * Store a skin that was validated and extracted here, with the revision `admit` gave it. Under
   * the table lock the count and the write are one step for the whole cluster.
   */
  async save(m: SkinManifest, zip: Buffer, revision: number, maxSkins: number, now: number): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.query('LOCK TABLE skins_imported IN SHARE ROW EXCLUSIVE MODE')
      const r = await tx.query<{ n: string; mine: boolean }>('SELECT count(*) AS n, bool_or(id = $1) AS mine FROM skins_imported', [m.id])
      if (!r.rows[0]?.mine && Number(r.rows[0]?.n ?? 0) >= maxSkins) throw quotaRefusal(maxSkins)
      await tx.query(
        `INSERT INTO skins_imported (id, manifest, zip, revision, updated_at_ms) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET manifest = excluded.manifest, zip = excluded.zip, revision = excluded.revision, updated_at_ms = excluded.updated_at_ms`,
        [m.id, JSON.stringify(m), zip, revision, now],
      )
    })
    this.revisions.set(m.id, { rev: revision })
  }

  /** false when no node had it */
  async delete(id: string): Promise<boolean> {
    const r = await this.sql.query('DELETE FROM skins_imported WHERE id = $1', [id])
    this.revisions.set(id, { rev: null })
    this.store.delete(id)
    return r.rowCount > 0
  }

  /**
   * Make this node's copy of `id` current; false when the skin does not exist (a copy left from a
   * skin deleted through another node is removed then).
   */
  async ensureLocal(id: string): Promise<boolean> {
    let known = this.revisions.get(id)
    if (!known) {
      const r = await this.sql.query<{ revision: string }>('SELECT revision FROM skins_imported WHERE id = $1', [id])
      known = { rev: r.rows[0] ? Number(r.rows[0].revision) : null }
      this.revisions.set(id, known)
    }
    const rev = known.rev
    if (rev === null) {
      // no row: a copy is stale and goes; a skin from before the cluster is this node's own
      if (this.store.revision(id) === null) return this.store.has(id)
      this.store.delete(id)
      return false
    }
    if (this.store.revision(id) === rev) return true
    let job = this.extracting.get(id)
    if (!job) {
      job = this.extract(id).finally(() => this.extracting.delete(id))
      this.extracting.set(id, job)
    }
    await job
    return this.store.has(id)
  }

  /** extract the stored ZIP again; the row may have changed since the lookup, so its own revision is used */
  private async extract(id: string): Promise<void> {
    const r = await this.sql.query<{ zip: Buffer; revision: string }>('SELECT zip, revision FROM skins_imported WHERE id = $1', [id])
    const row = r.rows[0]
    if (!row) {
      this.revisions.set(id, { rev: null })
      if (this.store.revision(id) !== null) this.store.delete(id)
      return
    }
    const revision = Number(row.revision)
    await importSkin(row.zip, this.store, { admit: () => revision, onWriteError: this.onWriteError })
    this.revisions.set(id, { rev: revision })
  }
}
