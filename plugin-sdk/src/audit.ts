/**
 * The audit log's wire types (contract DOMAIN.md §18) and the seam plugins record through.
 *
 * The kernel owns the log: one writer per process, a SHA-256 hash chain over sorted-key JSON,
 * fsync per entry, optional HMAC signatures. A plugin records its security-relevant actions with
 * `api.audit.record({ event_type, action: { command } }, req)`; the kernel fills in the time, the
 * id, the chain fields, and the actor: `actor.channel` is always the recording plugin's id (a
 * plugin cannot write in another's name), `user_id`/`username` come from `req` when given.
 */
import type { RevkaRequest } from './types.js'

/** Every audit event type the log accepts. */
export const AUDIT_EVENT_TYPES = [
  'command_execution',
  'file_access',
  'config_change',
  'auth_success',
  'auth_failure',
  'policy_violation',
  'security_event',
] as const
/** One of `AUDIT_EVENT_TYPES`. */
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number]

/** Who caused an audit event. */
export interface AuditActor {
  /** who the event came through: `gateway`, `cli`, or the recording plugin's id */
  channel: string
  /** the device id, `service`, `admin-token`, `loopback` or `anonymous` */
  user_id: string | null
  /** the client's address (rate-limit key) */
  username: string | null
}

/** What an audit event records being done, and whether it was allowed. */
export interface AuditAction {
  /** what was done, e.g. `device.revoke <id>`, `config.put`, `auth_profile.resolve openai:work` */
  command: string | null
  risk_level: 'low' | 'medium' | 'high' | null
  approved: boolean
  allowed: boolean
}

/** How the audited action ended. */
export interface AuditResult {
  success: boolean
  exit_code: number | null
  duration_ms: number | null
  error: string | null
}

/** Security context of an audit event (policy violation, rate-limit headroom, sandbox). */
export interface AuditSecurity {
  policy_violation: boolean
  rate_limit_remaining: number | null
  sandbox_backend: string | null
}

/** One line of the log. `entry_hash` covers every field above `prev_hash` except itself and `signature`. */
export interface AuditEvent {
  timestamp: string
  event_id: string
  event_type: AuditEventType
  actor: AuditActor | null
  action: AuditAction | null
  result: AuditResult | null
  security: AuditSecurity
  sequence: number
  prev_hash: string
  entry_hash: string
  signature?: string
}

/** What a recorder supplies; everything missing gets the contract's neutral value. */
export interface AuditInput {
  event_type: AuditEventType
  action?: Partial<AuditAction> | null
  result?: Partial<AuditResult> | null
  security?: Partial<AuditSecurity>
  /** only `user_id`/`username`; the channel is never the recorder's to choose */
  actor?: { user_id?: string | null; username?: string | null }
}

/** `api.audit`: record an event. Never throws; false when the entry could not be written (logged). */
export interface AuditRecorder {
  /** `req` fills `actor.user_id` (device id, `service`, `loopback`…) and `actor.username` (client address) */
  record(input: AuditInput, req?: Pick<RevkaRequest, 'auth' | 'clientKey'>): boolean
}

/** A filter for reading the audit log (`AuditLogService.query`). */
export interface AuditQuery {
  /** 0..500, default 50 */
  limit?: number
  event_type?: AuditEventType
  /** only events at or after this instant */
  since?: Date
}

/** The outcome of verifying the audit log's hash chain: how much was checked, or where it broke. */
export type AuditVerdict =
  | { verified: true; entry_count: number; files: number; signed_entries: number; torn_tail_bytes?: number }
  | { verified: false; error: string; file?: string; line?: number; entry_count?: number }

/** The kernel's `audit-log` service: reading and checking the log (the audit plugin's routes). */
export interface AuditLogService {
  readonly enabled: boolean
  /** newest first; `truncated` when the scan budget ran out before `limit` matches were found */
  query(q: AuditQuery): Promise<{ events: AuditEvent[]; truncated: boolean }>
  /** walks every kept file in order; the first broken line names its file and line number */
  verify(): Promise<AuditVerdict>
}
