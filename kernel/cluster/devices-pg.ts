/**
 * The device registry on PostgreSQL, mirrored in memory on every node. Auth stays one hash and one
 * Map get per request (no query on the hot path): PostgreSQL is the truth, each write is committed
 * there first, then applied to this node's credentials and broadcast on Redis so every other node
 * applies it too — a revocation closes the token's WebSockets and SSE streams everywhere.
 * Pub/sub is at most once, so whenever the subscriber (re)connects the node reloads the whole
 * table and drops every hash that is gone: a node that was cut off never serves a revoked token
 * once it reaches the database again.
 */
import { randomUUID } from 'node:crypto'
import type { DeviceRow } from '../auth/devices.js'
import type { Credentials } from '../auth/credentials.js'
import type { PgPool } from './clients.js'

export const DEVICES_CHANNEL = 'revka:devices'

type Change =
  | { t: 'add'; row: DeviceRow }
  | { t: 'revoke'; id: string; hash: string }
  | { t: 'rotate'; id: string; old: string; hash: string }

export class ClusterDevices {
  private rows = new Map<string, DeviceRow>()

  constructor(
    private readonly pool: PgPool,
    private readonly credentials: Credentials,
    private readonly publish: (channel: string, message: string) => Promise<unknown>,
  ) {}

  all(): DeviceRow[] {
    return [...this.rows.values()].sort((a, b) => (a.paired_at < b.paired_at ? -1 : a.paired_at > b.paired_at ? 1 : 0))
  }

  get(id: string): DeviceRow | undefined {
    return this.rows.get(id)
  }

  /** the whole table again; hashes no longer in it are forgotten (their connections end) */
  async reload(): Promise<void> {
    const { rows } = await this.pool.query('SELECT * FROM revka_devices')
    const fresh = new Map(rows.map((r) => [r.id as string, r as DeviceRow]))
    for (const [id, old] of this.rows) {
      const now = fresh.get(id)
      if (!now || now.token_hash !== old.token_hash) this.credentials.forget(old.token_hash)
    }
    for (const row of fresh.values()) this.credentials.setDevice(row.token_hash, row.id)
    this.rows = fresh
  }

  async add(tokenHash: string, meta: { name?: string | null; deviceType?: string | null; hardware?: string | null; ip?: string | null }): Promise<DeviceRow> {
    const now = new Date().toISOString()
    const row: DeviceRow = {
      id: randomUUID(), token_hash: tokenHash, name: meta.name ?? null, device_type: meta.deviceType ?? null,
      hardware: meta.hardware ?? null, paired_at: now, last_seen: now, ip_address: meta.ip ?? null,
    }
    await this.pool.query(
      'INSERT INTO revka_devices (id, token_hash, name, device_type, hardware, paired_at, last_seen, ip_address) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [row.id, row.token_hash, row.name, row.device_type, row.hardware, row.paired_at, row.last_seen, row.ip_address],
    )
    await this.commit({ t: 'add', row })
    return row
  }

  /** delete the device and remember its hash as revoked, in one transaction */
  async revoke(id: string): Promise<DeviceRow | undefined> {
    const row = await this.tx(async (q) => {
      const { rows } = await q('DELETE FROM revka_devices WHERE id = $1 RETURNING *', [id])
      if (!rows[0]) return undefined
      await q('INSERT INTO revka_revoked_tokens (token_hash, device_id, revoked_at) VALUES ($1, $2, $3) ON CONFLICT (token_hash) DO NOTHING', [rows[0].token_hash, id, new Date().toISOString()])
      return rows[0] as DeviceRow
    })
    if (row) await this.commit({ t: 'revoke', id, hash: row.token_hash })
    return row
  }

  /** swap the device's token hash, revoking the old one, in one transaction */
  async rotate(id: string, newHash: string): Promise<{ old: string } | undefined> {
    const old = await this.tx(async (q) => {
      const { rows } = await q('SELECT token_hash FROM revka_devices WHERE id = $1 FOR UPDATE', [id])
      if (!rows[0]) return undefined
      await q('INSERT INTO revka_revoked_tokens (token_hash, device_id, revoked_at) VALUES ($1, $2, $3) ON CONFLICT (token_hash) DO NOTHING', [rows[0].token_hash, id, new Date().toISOString()])
      await q('UPDATE revka_devices SET token_hash = $1 WHERE id = $2', [newHash, id])
      return rows[0].token_hash as string
    })
    if (old === undefined) return undefined
    await this.commit({ t: 'rotate', id, old, hash: newHash })
    return { old }
  }

  /** a change another node (or this one) committed, as broadcast on DEVICES_CHANNEL */
  applyMessage(message: string): void {
    let c: Change
    try { c = JSON.parse(message) } catch { return }
    this.apply(c)
  }

  private apply(c: Change): void {
    if (c.t === 'add') {
      this.rows.set(c.row.id, c.row)
      this.credentials.setDevice(c.row.token_hash, c.row.id)
    } else if (c.t === 'revoke') {
      this.rows.delete(c.id)
      this.credentials.forget(c.hash)
    } else if (c.t === 'rotate') {
      const row = this.rows.get(c.id)
      if (row) this.rows.set(c.id, { ...row, token_hash: c.hash })
      this.credentials.forget(c.old)
      this.credentials.setDevice(c.hash, c.id)
    }
  }

  /**
   * Applied here at once, then published. A failed publish leaves the change durable in
   * PostgreSQL: the other nodes take it at their next reload, which a Redis outage forces.
   */
  private async commit(c: Change): Promise<void> {
    this.apply(c)
    await this.publish(DEVICES_CHANNEL, JSON.stringify(c)).catch(() => {})
  }

  private async tx<T>(fn: (q: (sql: string, params?: unknown[]) => Promise<{ rows: any[] }>) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    try {
      await client.query('BEGIN')
      const out = await fn((sql, params) => client.query(sql, params))
      await client.query('COMMIT')
      client.release()
      return out
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {})
      // a connection that failed mid-transaction is not given back to the pool
      client.release(true)
      throw e
    }
  }
}
