/**
 * Who may create a session, and how fast (issue 10 item 6: 1,000 sessions were created in 1.1 s
 * over `?name=`). Each credential has a token bucket of `sessionsPerMinute` (bursts of that size,
 * refilled continuously) and a cap of `maxSessionsPerCredential` non-archived sessions. A refusal
 * is a 429 with `retry_after` (rate) or a 507 (cap) in the contract's error shape; on `/ws/chat`
 * it refuses the upgrade, before the 101.
 */
import { httpError, isHttpError } from '@revka/plugin-sdk'
import type { SessionStore } from './session-store.js'

interface Bucket {
  tokens: number
  at: number
}

/** 507: `owner` already holds `max` non-archived sessions (also thrown by a store that counts as it writes) */
export function sessionQuotaError(max: number): Error {
  return httpError(
    507,
    'session_quota_exceeded',
    `This credential already has ${max} sessions (the most it may keep); archive some (DELETE /api/sessions/{id}) first`,
  )
}

/** 429: `owner` started `perMinute` sessions within the last minute (also thrown by the cluster's store) */
export function sessionRateError(perMinute: number, retryAfter: number): Error {
  return httpError(429, 'session_rate_limited', `Too many new sessions from this credential (at most ${perMinute} a minute); retry in ${retryAfter} s`, {
    retryAfter,
  })
}

/** The error frame for a session refusal (429 rate, 507 cap), from the admission or a store that counts as it writes; null for anything else. */
export function refusalFrame(e: unknown): { type: 'error'; message: string; code: string; retry_after?: number } | null {
  if (!isHttpError(e) || (e.statusCode !== 429 && e.statusCode !== 507)) return null
  const retryAfter = e.options.retryAfter
  return {
    type: 'error',
    message: e.message,
    code: e.statusCode === 429 ? 'SESSION_RATE_LIMITED' : 'SESSION_QUOTA_EXCEEDED',
    ...(retryAfter ? { retry_after: retryAfter } : {}),
  }
}

export interface SessionAdmissionOptions {
  sessionsPerMinute: number
  maxSessionsPerCredential: number
  now?: () => number
}

export class SessionAdmission {
  private readonly buckets = new Map<string, Bucket>()
  private readonly now: () => number

  constructor(
    private readonly store: () => SessionStore,
    private readonly o: SessionAdmissionOptions,
  ) {
    this.now = o.now ?? Date.now
  }

  /** true when `sid` names no live session: using it would create (or revive) one */
  async wouldCreate(sid: string | undefined): Promise<boolean> {
    if (!sid) return true
    const row = await this.store().get(sid)
    return !row || row.archived_at !== null
  }

  /** Takes one creation from `owner`'s bucket, or throws 429/507. */
  async admit(owner: string): Promise<void> {
    await this.checkCap(owner)
    const b = this.refill(owner)
    if (b.tokens < 1) {
      const perMs = this.o.sessionsPerMinute / 60_000
      throw sessionRateError(this.o.sessionsPerMinute, Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000)))
    }
    b.tokens -= 1
  }

  /** Throws 507 when `owner` already holds its cap of non-archived sessions. */
  async checkCap(owner: string): Promise<void> {
    const max = this.o.maxSessionsPerCredential
    if ((await this.store().activeOwnedBy(owner)) >= max) throw sessionQuotaError(max)
  }

  private refill(owner: string): Bucket {
    const cap = this.o.sessionsPerMinute
    const now = this.now()
    let b = this.buckets.get(owner)
    if (!b) {
      b = { tokens: cap, at: now }
      this.buckets.set(owner, b)
      this.prune(now)
    }
    b.tokens = Math.min(cap, b.tokens + ((now - b.at) * cap) / 60_000)
    b.at = now
    return b
  }

  /** full buckets carry no state: dropping them keeps the map as small as the busy credentials */
  private prune(now: number): void {
    if (this.buckets.size < 1024) return
    const cap = this.o.sessionsPerMinute
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) * cap) / 60_000 >= cap) this.buckets.delete(key)
    }
  }
}
