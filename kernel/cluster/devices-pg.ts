/**
 * The device registry on PostgreSQL, mirrored in memory on every node. Auth stays one hash and one
 * Map get per request (no query on the hot path): PostgreSQL is the truth. Each write commits a
 * NOTIFY in the same transaction, so the change and its broadcast are one: every other node's
 * LISTEN connection receives it, in commit order, and applies it — a revocation closes the
 * token's WebSockets and SSE streams everywhere. The broadcast rides on the database, not on
 * Redis, so a Redis outage never delays a revocation. Notifications are lost while a listener is
 * disconnected, so whenever it (re)connects the node reloads the whole table and drops every hash
 * that is gone: a node that was cut off never serves a revoked token once it reaches the
 * database again. The writing node applies its own change at commit and skips its echo (an echo
 * of an older change arriving after a newer local one must not undo it).
 */
import { newDeviceRow, type DeviceMeta, type DeviceRow } from '../auth/devices.js'
import type { Credentials } from '../auth/credentials.js'
import { checkout, type PgPool } from './clients.js'

export const DEVICES_CHANNEL = 'revka_devices'

type Change = { origin?: string } & (
  { t: 'add'; row: DeviceRow } | { t: 'revoke'; id: string; hash: string } | { t: 'rotate'; id: string; old: string; hash: string }
)
type Query = (sql: string, params?: unknown[]) => Promise<{ rows: any[] }>

export class ClusterDevices {
  private rows = new Map<string, DeviceRow>()

  constructor(
    private readonly pool: PgPool,
    private readonly credentials: Credentials,
    /** this process, in every notification it sends, so it can skip its own */
    private readonly origin: string,
  ) {}

  all(): DeviceRow[] {
    return [...this.rows.values()].sort((a, b) => (a.paired_at < b.paired_at ? -1 : a.paired_at > b.paired_at ? 1 : 0))
  }

  get(id: string): DeviceRow | undefined {
    return this.rows.get(id)
  }

  /**
   * A token this node has not heard of: paired on another node a moment ago, its notification
   * still on the way. Read from the table and mirrored here; false when it is not there (never
   * paired, or revoked). The guard calls it on a miss only.
   */
  async lookup(tokenHash: string): Promise<boolean> {
    const { rows } = await this.pool.query('SELECT * FROM revka_devices WHERE token_hash = $1', [tokenHash])
    if (rows.length === 0) return false
    this.apply({ t: 'add', row: rows[0] as DeviceRow })
    return true
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

  async add(tokenHash: string, meta: DeviceMeta): Promise<DeviceRow> {
    const row = newDeviceRow(tokenHash, meta)
    const change: Change = { t: 'add', row }
    await this.tx(async (q) => {
      await q(
        'INSERT INTO revka_devices (id, token_hash, name, device_type, hardware, paired_at, last_seen, ip_address) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
        [row.id, row.token_hash, row.name, row.device_type, row.hardware, row.paired_at, row.last_seen, row.ip_address],
      )
      await this.notify(q, change)
    })
    this.apply(change)
    return row
  }

  /** delete the device and remember its hash as revoked, in one transaction */
  async revoke(id: string): Promise<DeviceRow | undefined> {
    const row = await this.tx(async (q) => {
      const { rows } = await q('DELETE FROM revka_devices WHERE id = $1 RETURNING *', [id])
      if (!rows[0]) return undefined
      await q('INSERT INTO revka_revoked_tokens (token_hash, device_id, revoked_at) VALUES ($1, $2, $3) ON CONFLICT (token_hash) DO NOTHING', [
        rows[0].token_hash,
        id,
        new Date().toISOString(),
      ])
      await this.notify(q, { t: 'revoke', id, hash: rows[0].token_hash })
      return rows[0] as DeviceRow
    })
    if (row) this.apply({ t: 'revoke', id, hash: row.token_hash })
    return row
  }

  /** swap the device's token hash, revoking the old one, in one transaction */
  async rotate(id: string, newHash: string): Promise<{ old: string } | undefined> {
    const old = await this.tx(async (q) => {
      const { rows } = await q('SELECT token_hash FROM revka_devices WHERE id = $1 FOR UPDATE', [id])
      if (!rows[0]) return undefined
      await q('INSERT INTO revka_revoked_tokens (token_hash, device_id, revoked_at) VALUES ($1, $2, $3) ON CONFLICT (token_hash) DO NOTHING', [
        rows[0].token_hash,
        id,
        new Date().toISOString(),
      ])
      await q('UPDATE revka_devices SET token_hash = $1 WHERE id = $2', [newHash, id])
      await this.notify(q, { t: 'rotate', id, old: rows[0].token_hash, hash: newHash })
      return rows[0].token_hash as string
    })
    if (old === undefined) return undefined
    this.apply({ t: 'rotate', id, old, hash: newHash })
    return { old }
  }

  /** a change another node committed, as notified on DEVICES_CHANNEL */
  applyMessage(message: string): void {
    let c: Change
    try {
      c = JSON.parse(message)
    } catch {
      return
    }
    if (c.origin !== this.origin) this.apply(c)
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

  /** sent when the transaction commits, not before; dropped with it on rollback */
  private async notify(q: Query, c: Change): Promise<void> {
    await q('SELECT pg_notify($1, $2)', [DEVICES_CHANNEL, JSON.stringify({ ...c, origin: this.origin })])
  }

  private async tx<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    const client = await checkout(this.pool)
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
