/**
 * The cluster schema, as numbered migrations applied at start. Every node runs this; a session
 * advisory lock makes the nodes take turns, so two gateways starting together never both create
 * a table (CREATE TABLE IF NOT EXISTS is not safe under concurrency in PostgreSQL) and a later
 * version's migration runs exactly once. Append new steps; never edit an applied one.
 */
import { checkout, type PgPool } from './clients.js'
import { GENESIS_HASH } from '../audit/chain.js'

/** pg_advisory_lock key: any fixed 64-bit number; this one spells "revka" + schema */
const MIGRATION_LOCK = 0x7265766b61_01
const KERNEL_NAMESPACE = 'kernel'

export const MIGRATIONS: ReadonlyArray<{ id: number; name: string; sql: string }> = [
  {
    id: 1,
    name: 'device registry and revocations',
    sql: `
      CREATE TABLE revka_devices (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        name TEXT, device_type TEXT, hardware TEXT,
        paired_at TEXT NOT NULL, last_seen TEXT NOT NULL, ip_address TEXT
      );
      CREATE TABLE revka_revoked_tokens (
        token_hash TEXT PRIMARY KEY, device_id TEXT, revoked_at TEXT NOT NULL
      );`,
  },
  {
    id: 2,
    name: 'claims (one node does it: a cron fire)',
    sql: `
      CREATE TABLE revka_claims (
        key TEXT PRIMARY KEY, node_id TEXT NOT NULL, expires_at TIMESTAMPTZ NOT NULL
      );
      CREATE INDEX revka_claims_expiry ON revka_claims (expires_at);`,
  },
  {
    id: 3,
    name: 'webhook deliveries and idempotency keys',
    sql: `
      CREATE TABLE revka_webhook_deliveries (
        id TEXT PRIMARY KEY, channel TEXT NOT NULL, at_ms BIGINT NOT NULL, message JSONB NOT NULL,
        reply TEXT, attempts INTEGER NOT NULL DEFAULT 0, not_before TIMESTAMPTZ NOT NULL DEFAULT now(),
        lease_until TIMESTAMPTZ, leased_by TEXT, done_at TIMESTAMPTZ, ok BOOLEAN
      );
      CREATE INDEX revka_webhook_due ON revka_webhook_deliveries (channel, at_ms) WHERE done_at IS NULL;
      CREATE INDEX revka_webhook_done ON revka_webhook_deliveries (done_at) WHERE done_at IS NOT NULL;
      CREATE TABLE revka_webhook_keys (key TEXT PRIMARY KEY, until_ms BIGINT NOT NULL);`,
  },
  {
    id: 4,
    name: 'the audit chain of all nodes and its head',
    // entry is the JSON line the file log would hold (TEXT, not JSONB: JSONB refuses \u0000 and reorders keys)
    sql: `
      CREATE TABLE revka_audit_chain (
        seq BIGINT PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, event_type TEXT NOT NULL, at_ms BIGINT NOT NULL,
        node_id TEXT NOT NULL, entry TEXT NOT NULL
      );
      CREATE INDEX revka_audit_type ON revka_audit_chain (event_type, seq);
      CREATE TABLE revka_audit_head (
        one BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),
        first_seq BIGINT NOT NULL, next_seq BIGINT NOT NULL, last_hash TEXT NOT NULL
      );
      INSERT INTO revka_audit_head (first_seq, next_seq, last_hash) VALUES (0, 0, '${GENESIS_HASH}');`,
  },
]

/** The kernel's own schema: applied at start before any plugin loads. */
export function migrate(pool: PgPool, log: (msg: string) => void): Promise<number[]> {
  return applyMigrations(pool, KERNEL_NAMESPACE, MIGRATIONS, log)
}

/**
 * Apply `namespace`'s missing steps, one transaction per step, under the cluster-wide migration
 * lock. The kernel's steps are `kernel`; a plugin's (SDK `SharedSqlService.migrate`) its id.
 */
export async function applyMigrations(
  pool: PgPool,
  namespace: string,
  steps: ReadonlyArray<{ id: number; name: string; sql: string }>,
  log: (msg: string) => void,
): Promise<number[]> {
  const client = await checkout(pool)
  const applied: number[] = []
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
    await client.query(
      'CREATE TABLE IF NOT EXISTS revka_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
    )
    // plugins' steps (and, from now on, nothing of the kernel's: its rows above predate namespaces)
    await client.query(
      'CREATE TABLE IF NOT EXISTS revka_schema_steps (namespace TEXT NOT NULL, id INTEGER NOT NULL, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (namespace, id))',
    )
    const kernel = namespace === KERNEL_NAMESPACE
    const done = new Set(
      (kernel
        ? await client.query('SELECT id FROM revka_migrations')
        : await client.query('SELECT id FROM revka_schema_steps WHERE namespace = $1', [namespace])
      ).rows.map((r) => Number(r.id)),
    )
    for (const m of steps) {
      if (done.has(m.id)) continue
      await client.query('BEGIN')
      try {
        await client.query(m.sql)
        if (kernel) await client.query('INSERT INTO revka_migrations (id, name) VALUES ($1, $2)', [m.id, m.name])
        else await client.query('INSERT INTO revka_schema_steps (namespace, id, name) VALUES ($1, $2, $3)', [namespace, m.id, m.name])
        await client.query('COMMIT')
      } catch (e) {
        await client.query('ROLLBACK')
        throw new Error(`${namespace} migration ${m.id} (${m.name}): ${(e as Error).message}`, { cause: e })
      }
      applied.push(m.id)
      log(`cluster migration ${namespace}/${m.id} applied: ${m.name}`)
    }
  } finally {
    // released even when a step failed, so the next node is not left waiting on a dead start
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {})
    client.release()
  }
  return applied
}
