/**
 * The `webhook-queue` kernel service in cluster mode: every node's webhook deliveries in one
 * PostgreSQL table, so a delivery acknowledged by one node is processed by exactly one node even
 * when the one that acknowledged it dies. A node takes work by leasing a row: `SELECT … FOR UPDATE
 * SKIP LOCKED` picks the oldest due row no live lease holds, and the same statement stamps the
 * lease, so two nodes never take one row. The worker renews its lease while the turn and the send
 * run; a node that is killed stops renewing, and once the lease has run out another node takes the
 * row again, with the reply already saved if the turn had finished. Every later write (reply,
 * retry, finish) only lands while this node still holds the lease. Idempotency keys live here too,
 * so a provider's retry that lands on another node is still a duplicate. A lost PostgreSQL is the
 * webhook route's 503 `cluster_unavailable` (the provider retries), never a 500.
 */
import type { QueuedWebhookDelivery, WebhookQueueService } from '@revka/plugin-sdk'
import { checkout, type PgPool } from './clients.js'
import { isEngineLoss, unavailable } from './shared-sql.js'

/** finished rows are swept once per this many finishes, keeping a day of them */
const SWEEP_EVERY = 256
const KEEP_DONE_MS = 86_400_000

export class ClusterWebhookQueue implements WebhookQueueService {
  readonly clustered = true
  private finishes = 0

  constructor(
    private readonly pool: PgPool,
    private readonly nodeId: string,
    readonly leaseMs: number,
  ) {}

  async enqueue(
    channel: string,
    key: { key: string; until: number; now: number } | undefined,
    deliveries: Array<{ id: string; at: number; message: unknown }>,
  ): Promise<boolean> {
    try {
      return await this.store(channel, key, deliveries)
    } catch (e) {
      throw isEngineLoss(e) ? unavailable() : e
    }
  }

  private async store(
    channel: string,
    key: { key: string; until: number; now: number } | undefined,
    deliveries: Array<{ id: string; at: number; message: unknown }>,
  ): Promise<boolean> {
    const c = await checkout(this.pool)
    try {
      await c.query('BEGIN')
      if (key) {
        // one statement decides: the key's row is new, or its window has passed and it is taken over
        const k = await c.query(
          `INSERT INTO revka_webhook_keys (key, until_ms) VALUES ($1, $2)
           ON CONFLICT (key) DO UPDATE SET until_ms = excluded.until_ms WHERE revka_webhook_keys.until_ms <= $3
           RETURNING key`,
          [key.key, key.until, key.now],
        )
        if (!k.rowCount) {
          await c.query('ROLLBACK')
          return false
        }
      }
      for (const d of deliveries) {
        await c.query('INSERT INTO revka_webhook_deliveries (id, channel, at_ms, message) VALUES ($1, $2, $3, $4)', [
          d.id,
          channel,
          d.at,
          JSON.stringify(d.message),
        ])
      }
      await c.query('COMMIT')
      return true
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {})
      throw e
    } finally {
      c.release()
    }
  }

  async claim(channel: string): Promise<QueuedWebhookDelivery | null> {
    const r = await this.pool.query(
      `UPDATE revka_webhook_deliveries SET lease_until = now() + $2 * interval '1 millisecond', leased_by = $3, attempts = attempts + 1
       WHERE id = (
         SELECT id FROM revka_webhook_deliveries
         WHERE channel = $1 AND done_at IS NULL AND not_before <= now() AND (lease_until IS NULL OR lease_until < now())
         ORDER BY at_ms, id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING id, at_ms, message, reply, attempts`,
      [channel, this.leaseMs, this.nodeId],
    )
    const row = r.rows[0]
    if (!row) return null
    return { id: row.id, at: Number(row.at_ms), message: row.message, attempts: row.attempts, ...(row.reply === null ? {} : { reply: row.reply }) }
  }

  async renew(id: string): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE revka_webhook_deliveries SET lease_until = now() + $3 * interval '1 millisecond' WHERE id = $1 AND leased_by = $2 AND done_at IS NULL`,
      [id, this.nodeId, this.leaseMs],
    )
    return (r.rowCount ?? 0) > 0
  }

  async saveReply(id: string, text: string): Promise<void> {
    await this.pool.query('UPDATE revka_webhook_deliveries SET reply = $3 WHERE id = $1 AND leased_by = $2 AND done_at IS NULL', [id, this.nodeId, text])
  }

  async retry(id: string, delayMs: number): Promise<void> {
    await this.pool.query(
      `UPDATE revka_webhook_deliveries SET lease_until = NULL, not_before = now() + $3 * interval '1 millisecond' WHERE id = $1 AND leased_by = $2 AND done_at IS NULL`,
      [id, this.nodeId, delayMs],
    )
  }

  async finish(id: string, ok: boolean): Promise<void> {
    await this.pool.query(
      'UPDATE revka_webhook_deliveries SET done_at = now(), ok = $3, lease_until = NULL WHERE id = $1 AND leased_by = $2 AND done_at IS NULL',
      [id, this.nodeId, ok],
    )
    if (++this.finishes % SWEEP_EVERY === 0) {
      void this.pool.query(`DELETE FROM revka_webhook_deliveries WHERE done_at < now() - $1 * interval '1 millisecond'`, [KEEP_DONE_MS]).catch(() => {})
      // keys past their window block nothing any more; without this the table only ever grew
      void this.pool.query('DELETE FROM revka_webhook_keys WHERE until_ms <= $1', [Date.now()]).catch(() => {})
    }
  }
}
