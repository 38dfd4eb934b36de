/**
 * The `cluster-claims` kernel service: "exactly one node does this" as a row in PostgreSQL. A claim
 * is one INSERT … ON CONFLICT: the key's row is written when there is none, or taken over when the
 * one there has expired; RETURNING tells the caller whether it was this statement that wrote it.
 * PostgreSQL serialises the conflicting inserts on the key's unique index, so of N nodes racing
 * for one key exactly one gets a row back. PostgreSQL rather than Redis: a claim must survive an
 * engine restart (a Redis without persistence would forget it and let a late node run a job again).
 */
import type { ClusterClaimService } from '@revka/plugin-sdk'
import type { PgPool } from './clients.js'

/** a single node: nothing to share, every claim is granted */
export const SINGLE_NODE_CLAIMS: ClusterClaimService = Object.freeze({ clustered: false, claim: async () => true })

/** expired rows are swept once per this many claims, so the table holds only live claims and recent history */
const SWEEP_EVERY = 256
/** longest claim accepted (a day): keys are kept at least this long after they expire anyway */
export const MAX_CLAIM_MS = 86_400_000
const KEY_MAX = 512

export class ClusterClaims implements ClusterClaimService {
  readonly clustered = true
  private count = 0

  constructor(
    private readonly pool: PgPool,
    private readonly nodeId: string,
  ) {}

  async claim(key: string, ttlMs: number): Promise<boolean> {
    if (typeof key !== 'string' || !key || key.length > KEY_MAX) throw new Error(`REVKA_ERR_CLUSTER_CLAIM: a claim key is 1 to ${KEY_MAX} characters`)
    if (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_CLAIM_MS) throw new Error(`REVKA_ERR_CLUSTER_CLAIM: ttlMs must be 1 … ${MAX_CLAIM_MS}`)
    const r = await this.pool.query(
      `INSERT INTO revka_claims (key, node_id, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (key) DO UPDATE SET node_id = excluded.node_id, expires_at = excluded.expires_at
       WHERE revka_claims.expires_at < now()
       RETURNING node_id`,
      [key, this.nodeId, ttlMs],
    )
    if (++this.count % SWEEP_EVERY === 0) {
      // kept a day past expiry: a node whose clock or tick runs late must still find the key taken
      void this.pool.query(`DELETE FROM revka_claims WHERE expires_at < now() - $1 * interval '1 millisecond'`, [MAX_CLAIM_MS]).catch(() => {})
    }
    return (r.rowCount ?? 0) > 0
  }
}
