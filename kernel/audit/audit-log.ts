/**
 * The kernel's audit log (contract DOMAIN.md §18): builds entries with the contract's fields,
 * hands them to the process's one writer, and serves reading (`query`, newest first) and checking
 * (`verify`). Everything that records — the kernel's auth, pairing and shutdown, plugins through
 * `api.audit`, the CLI — goes through `record`, which never throws: an entry that cannot be
 * written is an error in the gateway's log, not a failed request.
 *
 * In cluster mode (`share`) the entries of every node go to one chain on PostgreSQL instead, and
 * reading reads that chain; the node's file log is left as it was (the CLI still writes there).
 */
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { Logger } from 'pino'
import {
  AUDIT_EVENT_TYPES,
  type AuditActor,
  type AuditEvent,
  type AuditInput,
  type AuditLogService,
  type AuditQuery,
  type AuditVerdict,
} from '@revka/plugin-sdk'
import { AUDIT_FILE, auditDir, rotatedName } from './files.js'
import { openWriter, releaseWriter, type AuditWriter } from './writer.js'
import type { Unchained } from './chain.js'
import { AuditVerifier } from './verify.js'
import { scanBackward } from './backward.js'
import type { AuditSettings } from './settings.js'

/** longest `command`/`error` text kept in an entry: a line stays small whatever a caller passes */
const TEXT_MAX = 1024
/** bytes one `GET /api/audit` may read before it answers with what it found */
const QUERY_SCAN_BYTES = 64 * 1024 * 1024
export const QUERY_LIMIT_MAX = 500

const text = (v: unknown): string | null => (typeof v === 'string' ? (v.length > TEXT_MAX ? v.slice(0, TEXT_MAX) + '…' : v) : null)
const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

export interface AuditLogOptions {
  kernelDir: string
  settings: AuditSettings
  clock: () => number
  log: Pick<Logger, 'error' | 'warn'>
}

/** the cluster's one chain (kernel/cluster/audit-pg.ts): `enqueue` never blocks; false when refused */
export interface SharedAuditChain {
  enqueue(e: Unchained): boolean
  query(q: { limit: number; event_type?: string; since?: number }): Promise<AuditEvent[]>
  verify(): Promise<AuditVerdict>
}

export class AuditLog implements AuditLogService {
  readonly enabled: boolean
  readonly file: string
  private writer: AuditWriter | null = null
  private shared: SharedAuditChain | null = null
  private verifier: AuditVerifier | null = null

  constructor(readonly opts: AuditLogOptions) {
    this.enabled = opts.settings.enabled
    this.file = join(auditDir(opts.kernelDir), AUDIT_FILE)
    if (!this.enabled) return
    this.writer = openWriter({ file: this.file, maxBytes: opts.settings.maxBytes, keep: opts.settings.keep, signingKey: opts.settings.signingKey })
    this.verifier = new AuditVerifier(this.file, opts.settings.keep, opts.settings.signingKey)
    // at start: a torn last line is cut before anything appends after it, and said so on the chain
    const r = this.writer.recoverNow()
    if (r.tornBytes > 0)
      opts.log.warn(
        { file: this.file, bytes: r.tornBytes },
        'audit log: cut a torn last line (an interrupted write); the chain continues after the last whole line',
      )
    this.noteTorn()
  }

  /** cluster mode: from now on every entry goes to the shared chain, and reading reads it */
  share(chain: SharedAuditChain): void {
    if (this.enabled) this.shared = chain
  }

  record(input: AuditInput, actor: AuditActor | null): boolean {
    if (!this.writer) return false
    try {
      if (this.shared) return this.shared.enqueue(this.build(input, actor))
      this.writer.append(this.build(input, actor))
      this.noteTorn()
      return true
    } catch (e) {
      this.opts.log.error(
        { err: (e as Error).message, file: this.file, event_type: input.event_type },
        'REVKA_ERR_AUDIT_WRITE: could not append to the audit log',
      )
      return false
    }
  }

  private noteTorn(): void {
    const w = this.writer
    if (!w || w.pendingTorn === 0) return
    const bytes = w.pendingTorn
    w.pendingTorn = 0
    this.record(
      { event_type: 'security_event', action: { command: `audit.recovered: cut a torn last line of ${bytes} bytes`, risk_level: 'medium' } },
      { channel: 'gateway', user_id: null, username: null },
    )
  }

  private build(input: AuditInput, actor: AuditActor | null): Unchained {
    if (!AUDIT_EVENT_TYPES.includes(input.event_type)) throw new Error(`unknown event_type ${JSON.stringify(input.event_type)}`)
    const a = input.action
    const r = input.result
    const s = input.security ?? {}
    return {
      timestamp: new Date(this.opts.clock()).toISOString(),
      event_id: randomUUID(),
      event_type: input.event_type,
      actor: actor ? { channel: actor.channel, user_id: text(actor.user_id), username: text(actor.username) } : null,
      action: a
        ? {
            command: text(a.command),
            risk_level: a.risk_level === 'low' || a.risk_level === 'medium' || a.risk_level === 'high' ? a.risk_level : null,
            approved: a.approved ?? true,
            allowed: a.allowed ?? true,
          }
        : null,
      result: r ? { success: r.success ?? true, exit_code: numOrNull(r.exit_code), duration_ms: numOrNull(r.duration_ms), error: text(r.error) } : null,
      security: {
        policy_violation: s.policy_violation === true,
        rate_limit_remaining: numOrNull(s.rate_limit_remaining),
        sandbox_backend: text(s.sandbox_backend),
      },
    }
  }

  async query(q: AuditQuery): Promise<{ events: AuditEvent[]; truncated: boolean }> {
    const limit = Math.max(0, Math.min(QUERY_LIMIT_MAX, q.limit ?? 50))
    const events: AuditEvent[] = []
    if (!this.enabled || limit === 0) return { events, truncated: false }
    const since = q.since?.getTime()
    if (this.shared) return { events: await this.shared.query({ limit, event_type: q.event_type, since }), truncated: false }
    const budget = { bytes: QUERY_SCAN_BYTES }
    let done = false
    const files = [this.file]
    for (let n = 1; n <= this.opts.settings.keep; n++) files.push(rotatedName(this.file, n))
    for (const f of files) {
      const complete = await scanBackward(
        f,
        (line) => {
          let e: AuditEvent
          try {
            e = JSON.parse(line)
          } catch {
            return false
          } // verify reports it; the list skips it
          if (since !== undefined && Date.parse(e.timestamp) < since) return (done = true)
          if (q.event_type && e.event_type !== q.event_type) return false
          events.push(e)
          return (done = events.length >= limit)
        },
        budget,
      )
      if (!complete) return { events, truncated: true }
      if (done) break
    }
    return { events, truncated: false }
  }

  verify(): Promise<AuditVerdict> {
    if (!this.verifier) return Promise.resolve({ verified: false, error: 'Audit logging not enabled' })
    if (this.shared) return this.shared.verify()
    return this.verifier.verify()
  }

  close(): void {
    if (this.writer) releaseWriter(this.writer)
    this.writer = null
  }
}
