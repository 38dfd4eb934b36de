/**
 * What the kernel's auth writes to the audit log, and how much. Every entry is an fsync, and the
 * P1 target (an authenticated `GET /api/status` within 10 % of bare Fastify) leaves no room for
 * one per request, so:
 * - successes are deduplicated: one `auth_success` per credential and client per
 *   SUCCESS_WINDOW_MS (the first request of a session is logged; the rest cost one Map lookup);
 * - failures and lockouts are all logged up to FAILURES_PER_MINUTE over all clients (each client
 *   is already held to 10 failures then a 5-minute lockout by the limiter); past that, one summary
 *   entry says how many were not written, so a flood from many addresses cannot fill the disk
 *   and still shows on the chain.
 */
import type { AuditActor, AuditInput } from '@revka/plugin-sdk'

export const SUCCESS_WINDOW_MS = 15 * 60_000
export const FAILURES_PER_MINUTE = 60
const MAX_KEYS = 10_000

export interface AuditSink {
  record(input: AuditInput, actor: AuditActor | null): boolean
}

export interface AuthPrincipal {
  via: string
  deviceId?: string
  credentialId?: string
}

/** `actor.user_id` for a principal: the device, or which kind of credential */
export function userIdOf(p: AuthPrincipal): string {
  return p.deviceId ?? (p.via === 'bearer' && p.credentialId ? p.credentialId : p.via)
}

export class AuthEvents {
  private lastSuccess = new Map<string, number>()
  private minute = 0
  private failuresThisMinute = 0
  private dropped = 0

  constructor(
    private readonly sink: AuditSink,
    private readonly clock: () => number,
  ) {}

  /** a request whose credential verified (called on the hot path) */
  success(p: AuthPrincipal, clientKey: string): void {
    const key = `${p.credentialId ?? p.via}|${clientKey}`
    const now = this.clock()
    const last = this.lastSuccess.get(key)
    if (last !== undefined && now - last < SUCCESS_WINDOW_MS) return
    this.lastSuccess.delete(key)
    this.lastSuccess.set(key, now)
    if (this.lastSuccess.size > MAX_KEYS) this.lastSuccess.delete(this.lastSuccess.keys().next().value!)
    this.sink.record(
      { event_type: 'auth_success', action: { command: `auth.${p.via}`, risk_level: 'low' }, result: { success: true } },
      { channel: 'gateway', user_id: userIdOf(p), username: clientKey },
    )
  }

  /** a pairing code exchanged for a token (always written: pairings are rare and matter) */
  paired(deviceId: string, clientKey: string, rotation: boolean): void {
    this.sink.record(
      { event_type: 'auth_success', action: { command: rotation ? 'pair.after_rotation' : 'pair', risk_level: 'medium' }, result: { success: true } },
      { channel: 'gateway', user_id: deviceId, username: clientKey },
    )
  }

  /**
   * A credential that did not verify (`what`: bearer, service, pairing code). `lockoutSecs` > 0
   * when this failure locked the client out; `remaining` is how many tries it has left.
   */
  failure(what: string, clientKey: string, lockoutSecs: number, remaining: number | null): void {
    if (!this.admit()) return
    const locked = lockoutSecs > 0
    this.sink.record(
      {
        event_type: 'auth_failure',
        action: {
          command: locked ? `auth.lockout ${what} (${lockoutSecs}s)` : `auth.${what}`,
          risk_level: locked ? 'high' : 'medium',
          approved: false,
          allowed: false,
        },
        result: { success: false, error: locked ? 'too many failed attempts: client locked out' : 'invalid credential' },
        security: { policy_violation: locked, rate_limit_remaining: locked ? 0 : remaining },
      },
      { channel: 'gateway', user_id: null, username: clientKey },
    )
  }

  /** write the summary of failures not logged (the next minute's first failure, or at stop) */
  flush(): void {
    if (this.dropped === 0) return
    const n = this.dropped
    this.dropped = 0
    this.failuresThisMinute++
    this.sink.record(
      {
        event_type: 'auth_failure',
        action: { command: `auth.failures_not_logged ${n}`, risk_level: 'high', approved: false, allowed: false },
        security: { policy_violation: true },
      },
      { channel: 'gateway', user_id: null, username: null },
    )
  }

  private admit(): boolean {
    const minute = Math.floor(this.clock() / 60_000)
    if (minute !== this.minute) {
      this.minute = minute
      this.failuresThisMinute = 0
      this.flush()
    }
    if (this.failuresThisMinute >= FAILURES_PER_MINUTE) {
      this.dropped++
      return false
    }
    this.failuresThisMinute++
    return true
  }
}
