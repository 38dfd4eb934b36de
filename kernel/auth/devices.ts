/**
 * The device registry: SQLite (WAL) at `<workspace>/devices.db`. Only SHA-256 hashes of tokens are
 * stored. Revoked hashes are remembered so no import or restart brings a revoked token back.
 */
import Database from 'better-sqlite3'
import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { DeviceInfo } from '@revka/plugin-sdk'

export interface DeviceRow extends DeviceInfo {
  token_hash: string
}

export class DeviceRegistry {
  private db: Database.Database
  private stmts: Record<string, Database.Statement>

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true })
    this.db = new Database(path)
    this.db.pragma('journal_mode = WAL')
    // FULL: an acknowledged pairing survives power loss, not just a process crash
    this.db.pragma('synchronous = FULL')
    // one transaction: one durable commit (an fsync each with synchronous = FULL) instead of two
    this.db.exec(`
      BEGIN;
      CREATE TABLE IF NOT EXISTS devices (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        name TEXT, device_type TEXT, hardware TEXT,
        paired_at TEXT NOT NULL, last_seen TEXT NOT NULL, ip_address TEXT
      );
      CREATE TABLE IF NOT EXISTS revoked_tokens (
        token_hash TEXT PRIMARY KEY, device_id TEXT, revoked_at TEXT NOT NULL
      );
      COMMIT;`)
    this.stmts = {
      all: this.db.prepare('SELECT * FROM devices ORDER BY paired_at'),
      byId: this.db.prepare('SELECT * FROM devices WHERE id = ?'),
      insert: this.db.prepare(
        'INSERT INTO devices (id, token_hash, name, device_type, hardware, paired_at, last_seen, ip_address) VALUES (@id, @token_hash, @name, @device_type, @hardware, @paired_at, @last_seen, @ip_address)',
      ),
      delete: this.db.prepare('DELETE FROM devices WHERE id = ?'),
      setHash: this.db.prepare('UPDATE devices SET token_hash = ? WHERE id = ?'),
      seen: this.db.prepare('UPDATE devices SET last_seen = ? WHERE id = ?'),
      revoke: this.db.prepare('INSERT OR REPLACE INTO revoked_tokens (token_hash, device_id, revoked_at) VALUES (?, ?, ?)'),
      isRevoked: this.db.prepare('SELECT 1 FROM revoked_tokens WHERE token_hash = ?'),
    }
  }

  all(): DeviceRow[] {
    return this.stmts.all.all() as DeviceRow[]
  }

  get(id: string): DeviceRow | undefined {
    return this.stmts.byId.get(id) as DeviceRow | undefined
  }

  add(tokenHash: string, meta: DeviceMeta): DeviceRow {
    const row = newDeviceRow(tokenHash, meta)
    this.stmts.insert.run(row)
    return row
  }

  /** delete the device and remember its hash as revoked, in one transaction */
  revoke(id: string): DeviceRow | undefined {
    return this.db.transaction(() => {
      const row = this.get(id)
      if (!row) return undefined
      this.stmts.revoke.run(row.token_hash, id, new Date().toISOString())
      this.stmts.delete.run(id)
      return row
    })()
  }

  /** swap the device's token hash, revoking the old one, in one transaction */
  rotate(id: string, newHash: string): { old: string } | undefined {
    return this.db.transaction(() => {
      const row = this.get(id)
      if (!row) return undefined
      this.stmts.revoke.run(row.token_hash, id, new Date().toISOString())
      this.stmts.setHash.run(newHash, id)
      return { old: row.token_hash }
    })()
  }

  isRevoked(hash: string): boolean {
    return this.stmts.isRevoked.get(hash) !== undefined
  }

  touch(id: string, at: string): void {
    this.stmts.seen.run(at, id)
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}

export function toDeviceInfo(r: DeviceRow): DeviceInfo {
  const { token_hash: _h, ...info } = r
  return info
}

/** what a pairing knows of the new device */
export type DeviceMeta = { name?: string | null; deviceType?: string | null; hardware?: string | null; ip?: string | null }

/** a newly paired device's row, the same on a single node and in the cluster's table */
export function newDeviceRow(tokenHash: string, meta: DeviceMeta): DeviceRow {
  const now = new Date().toISOString()
  return {
    id: randomUUID(),
    token_hash: tokenHash,
    name: meta.name ?? null,
    device_type: meta.deviceType ?? null,
    hardware: meta.hardware ?? null,
    paired_at: now,
    last_seen: now,
    ip_address: meta.ip ?? null,
  }
}
