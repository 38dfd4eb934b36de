/**
 * This node's copies of the artifact files the store writes, in cluster mode. The bytes live in
 * PostgreSQL (`store_artifact_bodies`), so any node can serve any artifact; the route plugins read
 * files by path (skills, workflows, avatars, artifact-body), so each node keeps a local copy
 * under its own artifact root, written when it commits a body and refreshed when it hands out an
 * owned location whose body changed since (a per-body version from a sequence: a rewrite on
 * another node, or a deleted and re-created item, gets a new one). The copies are a cache: losing
 * them loses nothing, and a restart refetches each on first use.
 */
import { existsSync } from 'node:fs'
import { writeFileAtomicSync } from '@revka/plugin-sdk'
import { removeFiles } from './artifact-files.js'
import type { PgCore } from './pg-core.js'

/** a body the caller just committed, or a row read with its body's version */
export interface BodyRef {
  artifact_id: number
  rel: string
  version: string
  bytes?: Buffer
}

export class LocalCopies {
  private readonly versions = new Map<string, string>()
  constructor(private readonly c: PgCore) {}

  /** after a commit: write the bodies this node just stored */
  wrote(bodies: BodyRef[]): void {
    for (const b of bodies) if (b.bytes) this.put(b.rel, b.version, b.bytes)
  }

  /** bring the copies of these bodies up to date, fetching only those that changed */
  async refresh(bodies: BodyRef[]): Promise<void> {
    const stale = bodies.filter((b) => this.versions.get(b.rel) !== b.version || !existsSync(this.c.ownedPath(b.rel)))
    if (!stale.length) return
    const got = await this.c.sql.query<{ artifact_id: number; version: string; body: Buffer }>(
      'SELECT artifact_id, version::text AS version, body FROM store_artifact_bodies WHERE artifact_id = ANY($1::int[])',
      [stale.map((b) => b.artifact_id)],
    )
    const byId = new Map(got.rows.map((r) => [r.artifact_id, r]))
    for (const b of stale) {
      const row = byId.get(b.artifact_id)
      if (row) this.put(b.rel, row.version, row.body)
    }
  }

  /** The local path of `rel` when PostgreSQL holds a body for it (copy refreshed), else null. */
  async path(rel: string): Promise<string | null> {
    const r = await this.c.sql.query<{ artifact_id: number; version: string }>(
      `SELECT b.artifact_id, b.version::text AS version FROM store_artifacts a JOIN store_artifact_bodies b ON b.artifact_id = a.id
        WHERE a.location = $1 AND a.owned_size IS NOT NULL LIMIT 1`,
      [rel],
    )
    if (!r.rows.length) {
      // a copy this node wrote for a body that is gone (deleted on another node)
      if (this.versions.delete(rel)) removeFiles([this.c.ownedPath(rel)])
      return null
    }
    await this.refresh([{ ...r.rows[0], rel }])
    return this.c.ownedPath(rel)
  }

  forget(rels: string[]): void {
    for (const rel of rels) this.versions.delete(rel)
    removeFiles(rels.map((rel) => this.c.ownedPath(rel)))
  }

  private put(rel: string, version: string, bytes: Buffer): void {
    writeFileAtomicSync(this.c.ownedPath(rel), bytes)
    this.versions.set(rel, version)
  }
}
