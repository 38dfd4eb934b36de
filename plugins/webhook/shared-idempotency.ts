/**
 * `X-Idempotency-Key`s in cluster mode: the same window as `IdempotencyWindow`, kept in the
 * cluster's PostgreSQL (`shared-sql`, table `webhook_idempotency`) so a caller's retry that the
 * load balancer sends to another node is still a duplicate. One statement claims a key: it inserts
 * the key, or takes over a row whose window has passed, and says whether it did — of two nodes
 * claiming one key at once, exactly one is told yes. A claim stays `done = false` until its turn
 * answered: a claim still open after the route timeout belongs to a node that died mid-turn (no
 * request lives longer), so the caller's retry is processed instead of being told "duplicate" with
 * no answer — as a restart does on a single node, where the keys are in memory.
 *
 * Bounded like the memory window: every `SWEEP_EVERY` claims, keys past the window are deleted and
 * so are all but the newest `maxKeys` (between sweeps the table holds at most `SWEEP_EVERY` more).
 * The table is created on the first claim, so a PostgreSQL away at start delays it rather than
 * failing the plugin; while the engine is away a claim rejects with the 503 `cluster_unavailable`.
 */
import type { SharedSqlService } from '@revka/plugin-sdk'
import type { IdempotencyClaims } from './idempotency.js'

export const SWEEP_EVERY = 64

const MIGRATIONS = [
  {
    id: 1,
    name: 'idempotency keys',
    sql: 'CREATE TABLE webhook_idempotency (key TEXT PRIMARY KEY, at_ms BIGINT NOT NULL, done BOOLEAN NOT NULL DEFAULT false)',
  },
]

export class SharedIdempotencyWindow implements IdempotencyClaims {
  private ready?: Promise<void>
  private claims = 0

  constructor(
    private readonly sql: SharedSqlService,
    private readonly ttlMs: number,
    private readonly maxKeys: number,
    /** the route timeout: an open claim older than this was abandoned by a dead node */
    private readonly abandonMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private init(): Promise<void> {
    this.ready ??= this.sql.migrate('webhook', MIGRATIONS).then(
      () => undefined,
      (e) => {
        this.ready = undefined
        throw e
      },
    )
    return this.ready
  }

  async claim(key: string): Promise<boolean> {
    await this.init()
    const t = this.now()
    const r = await this.sql.query(
      `INSERT INTO webhook_idempotency (key, at_ms) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET at_ms = excluded.at_ms, done = false
       WHERE webhook_idempotency.at_ms <= $3 OR (NOT webhook_idempotency.done AND webhook_idempotency.at_ms <= $4)
       RETURNING key`,
      [key, t, t - this.ttlMs, t - this.abandonMs],
    )
    if (++this.claims % SWEEP_EVERY === 0) await this.sweep(t)
    return r.rowCount > 0
  }

  async finish(key: string): Promise<void> {
    await this.sql.query('UPDATE webhook_idempotency SET done = true WHERE key = $1', [key])
  }

  async release(key: string): Promise<void> {
    await this.init()
    await this.sql.query('DELETE FROM webhook_idempotency WHERE key = $1', [key])
  }

  private async sweep(t: number): Promise<void> {
    await this.sql.query('DELETE FROM webhook_idempotency WHERE at_ms <= $1', [t - this.ttlMs])
    await this.sql.query('DELETE FROM webhook_idempotency WHERE key IN (SELECT key FROM webhook_idempotency ORDER BY at_ms DESC, key OFFSET $1)', [
      this.maxKeys,
    ])
  }
}
