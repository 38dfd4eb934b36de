/**
 * The audit chain of a cluster (issue 18): the entries of every node form ONE hash chain in
 * PostgreSQL. An append is one transaction: the head row is locked (`FOR UPDATE` — the nodes take
 * turns), each entry is chained after the head's hash exactly as the file writer does
 * (kernel/audit/chain.ts), inserted, the head moves, commit. So the chain never forks, and a
 * failed transaction leaves no half-written entry.
 *
 * `record()` is synchronous for its callers (a request never waits on PostgreSQL): entries queue
 * in order in a bounded buffer, and one writer loop flushes them. While PostgreSQL is away they
 * wait there and go in when it is back (`cluster:audit` on /health is an error meanwhile, with the
 * count). A full buffer refuses the entry (counted, logged, on /health), never blocks a request.
 *
 * A retried batch whose COMMIT did land (the connection died after it) is not appended twice:
 * entries already in the chain are recognised by `event_id` and skipped.
 *
 * The chain is bounded like the file log: past `maxRows` entries the oldest are deleted in the
 * same transaction and the head's `first_seq` says where the kept chain starts (the file log's
 * rotation, on rows).
 */
import { isHttpError, type AuditEvent, type AuditVerdict, type HealthSink } from '@revka/plugin-sdk'
import type { Logger } from 'pino'
import { chainEntry, type Unchained } from '../audit/chain.js'
import type { SharedAuditChain } from '../audit/audit-log.js'
import type { SharedSql } from './shared-sql.js'
import { SharedChainVerifier } from './audit-pg-verify.js'

/** entries a node holds while PostgreSQL is away (an entry is under 4 KiB: its texts are capped at 1 KiB) */
export const AUDIT_BUFFER_MAX = 10_000
/** entries per append transaction */
const BATCH = 200
/** retry after an engine loss: first wait, then doubling up to the cap */
const RETRY_MS = 250
const RETRY_MAX_MS = 2000
/** how long a stopping node tries to flush what it holds */
const DRAIN_MS = 3000
/** the file log's kept bytes, as rows: `[security.audit]` bounds both the same way */
export const ROW_BYTES = 512

export interface ClusterAuditOptions {
  sql: SharedSql
  nodeId: string
  signingKey: Buffer | null
  maxRows: number
  log: Pick<Logger, 'error' | 'warn' | 'info'>
}

/** PostgreSQL away (SharedSql's 503), or a transaction it asks to run again (SQLSTATE class 40) */
function retryable(e: unknown): boolean {
  if (isHttpError(e)) return e.statusCode === 503
  const code = (e as { code?: unknown })?.code
  return typeof code === 'string' && code.startsWith('40')
}

export class ClusterAudit implements SharedAuditChain {
  private buf: Unchained[] = []
  private flushing: Promise<void> | null = null
  private retryMs = RETRY_MS
  private verifying: Promise<AuditVerdict> | null = null
  private closed = false
  /** refusing since the buffer filled: logged once per burst, counted always */
  private refusing = false
  /** entries to append one per transaction, after a batch PostgreSQL refused: only the bad one is lost */
  private singles = 0
  /** refused because the buffer was full */
  dropped = 0
  /** refused by PostgreSQL itself (not an outage): logged with their event ids */
  failed = 0

  private readonly verifier: SharedChainVerifier

  constructor(private readonly o: ClusterAuditOptions) {
    this.verifier = new SharedChainVerifier(o.sql, o.signingKey)
  }

  get queued(): number {
    return this.buf.length
  }

  enqueue(e: Unchained): boolean {
    if (this.closed || this.buf.length >= AUDIT_BUFFER_MAX) {
      this.dropped++
      // one log line per refusal burst is enough: the count is on /health
      if (!this.refusing || this.closed)
        this.o.log.error(
          { event_id: e.event_id, event_type: e.event_type, queued: this.buf.length },
          this.closed
            ? 'REVKA_ERR_AUDIT_WRITE: the node is stopping; audit entry not appended'
            : 'REVKA_ERR_AUDIT_BUFFER_FULL: PostgreSQL is away and the audit buffer is full; entry refused',
        )
      this.refusing = true
      return false
    }
    this.buf.push(e)
    this.flush()
    return true
  }

  private flush(): void {
    if (this.flushing || this.closed) return
    this.flushing = this.loop().finally(() => {
      this.flushing = null
      if (this.buf.length && !this.closed) this.flush()
    })
  }

  private async loop(): Promise<void> {
    while (this.buf.length && !this.closed) {
      const batch = this.buf.slice(0, this.singles > 0 ? 1 : BATCH)
      try {
        await this.append(batch)
        this.buf.splice(0, batch.length)
        if (this.singles > 0) this.singles--
        this.refusing = false
        if (this.retryMs !== RETRY_MS)
          this.o.log.info({ node: this.o.nodeId, queued: this.buf.length }, 'cluster audit: PostgreSQL is back; appending what waited')
        this.retryMs = RETRY_MS
      } catch (e) {
        if (retryable(e)) {
          if (this.retryMs === RETRY_MS) this.o.log.warn({ queued: this.buf.length }, 'cluster audit: PostgreSQL unreachable; entries wait in the buffer')
          const wait = this.retryMs
          this.retryMs = Math.min(wait * 2, RETRY_MAX_MS)
          await this.pause(wait)
          continue
        }
        if (batch.length > 1) {
          this.singles = batch.length
          continue
        }
        // not an outage: retrying would wedge every entry behind this one
        if (this.singles > 0) this.singles--
        this.failed += batch.length
        this.buf.splice(0, batch.length)
        this.o.log.error(
          { err: (e as Error).message, event_ids: batch.map((x) => x.event_id) },
          'REVKA_ERR_AUDIT_WRITE: PostgreSQL refused an audit entry; it is not on the chain',
        )
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => setTimeout(resolve, ms).unref())
  }

  private append(batch: Unchained[]): Promise<void> {
    return this.o.sql.transaction(async (tx) => {
      const head = (
        await tx.query<{ first_seq: string; next_seq: string; last_hash: string }>('SELECT first_seq, next_seq, last_hash FROM revka_audit_head FOR UPDATE')
      ).rows[0]
      const present = new Set(
        (await tx.query<{ event_id: string }>('SELECT event_id FROM revka_audit_chain WHERE event_id = ANY($1)', [batch.map((e) => e.event_id)])).rows.map(
          (r) => r.event_id,
        ),
      )
      let seq = Number(head.next_seq)
      let prev = head.last_hash
      const params: unknown[] = []
      const values: string[] = []
      for (const u of batch) {
        if (present.has(u.event_id)) continue
        const e: AuditEvent = chainEntry(u, seq, prev, this.o.signingKey)
        const n = params.length
        values.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6})`)
        params.push(seq, e.event_id, e.event_type, Date.parse(e.timestamp), this.o.nodeId, JSON.stringify(e))
        seq++
        prev = e.entry_hash
      }
      if (!values.length) return
      await tx.query(`INSERT INTO revka_audit_chain (seq, event_id, event_type, at_ms, node_id, entry) VALUES ${values.join(', ')}`, params)
      let first = Number(head.first_seq)
      if (seq - first > this.o.maxRows) {
        first = seq - this.o.maxRows
        await tx.query('DELETE FROM revka_audit_chain WHERE seq < $1', [first])
      }
      await tx.query('UPDATE revka_audit_head SET first_seq = $1, next_seq = $2, last_hash = $3', [first, seq, prev])
    })
  }

  /** newest first; an unreachable PostgreSQL is the route's 503 */
  async query(q: { limit: number; event_type?: string; since?: number }): Promise<AuditEvent[]> {
    const r = await this.o.sql.query<{ entry: string }>(
      `SELECT entry FROM revka_audit_chain
        WHERE ($1::text IS NULL OR event_type = $1) AND ($2::bigint IS NULL OR at_ms >= $2)
        ORDER BY seq DESC LIMIT $3`,
      [q.event_type ?? null, q.since ?? null, q.limit],
    )
    const out: AuditEvent[] = []
    for (const row of r.rows) {
      try {
        out.push(JSON.parse(row.entry))
      } catch {} // verify reports it; the list skips it
    }
    return out
  }

  /** concurrent callers (every dashboard page asks) share one walk */
  verify(): Promise<AuditVerdict> {
    this.verifying ??= this.verifier.verify().finally(() => {
      this.verifying = null
    })
    return this.verifying
  }

  /** an error while entries wait for PostgreSQL or are refused (the buffer is full); /health keeps only an error's message */
  report(sink: HealthSink): void {
    const stuck = this.retryMs !== RETRY_MS || this.buf.length >= AUDIT_BUFFER_MAX
    const msg = `node ${this.o.nodeId}: ${this.buf.length} entries waiting (max ${AUDIT_BUFFER_MAX}), ${this.dropped} refused, ${this.failed} failed`
    sink.report('cluster:audit', stuck ? 'error' : 'ok', msg)
  }

  /** at stop, before the pool closes: flush what is held, for a while; what is left is logged */
  async close(): Promise<void> {
    const end = Date.now() + DRAIN_MS
    while (this.buf.length && Date.now() < end) {
      this.flush()
      await Promise.race([this.flushing, new Promise((r) => setTimeout(r, 100).unref())])
    }
    this.closed = true
    await this.flushing
    if (this.buf.length)
      this.o.log.error({ node: this.o.nodeId, lost: this.buf.length }, 'REVKA_ERR_AUDIT_WRITE: stopping with audit entries PostgreSQL never took')
  }
}
