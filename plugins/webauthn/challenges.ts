/**
 * Pending ceremony challenges. Each is single use (taken, never peeked), expires after 5 minutes,
 * and is bound to the user and the ceremony it was issued for: a registration challenge cannot
 * finish a sign-in, nor Alice's challenge Bob's ceremony. In memory only — a restart simply makes
 * the user start over — and capped, so a loop of `start` calls cannot grow it without bound.
 * Anonymous sign-in challenges have a smaller cap of their own, so a stranger filling it never
 * keeps a paired device from registering or checking a passkey. In cluster mode the same rules hold
 * over PostgreSQL (shared-challenges.ts), so a ceremony may start on one node and finish on another.
 */
import { httpError } from '@revka/plugin-sdk'

export const CHALLENGE_TTL_MS = 5 * 60_000
/** pending challenges at once started by a credential, over all users */
export const MAX_PENDING_CHALLENGES = 1000
/** pending anonymous sign-in challenges at once */
export const MAX_PENDING_ANONYMOUS = 200

export type Ceremony = 'register' | 'auth'

export interface Pending {
  ceremony: Ceremony
  userId: string | null
  userName: string | null
  expiresAt: number
  owner: string | null
}

/** where pending challenges live: this node's memory, or the cluster's PostgreSQL */
export interface ChallengeBook {
  issue(challenge: string, ceremony: Ceremony, user: { id: string | null; name?: string }, owner: string | null): void | Promise<void>
  take(challenge: string, ceremony: Ceremony, owner: string | null): Pending | Promise<Pending>
}

/** the 429 for a full book, or undefined while there is room: `held` of the caller's kind pending */
export function capReached(held: number, owner: string | null): Error | undefined {
  const cap = owner === null ? MAX_PENDING_ANONYMOUS : MAX_PENDING_CHALLENGES
  if (held < cap) return undefined
  return httpError(429, 'webauthn_too_many_challenges', `${cap} WebAuthn ceremonies are already pending. Try again in a few minutes.`, { retryAfter: 60 })
}

/** a taken challenge, checked: it existed, is still fresh, and belongs to this ceremony and credential */
export function checked(p: Pending | undefined, ceremony: Ceremony, owner: string | null, now: number): Pending {
  if (!p || p.expiresAt <= now || p.ceremony !== ceremony || p.owner !== owner) {
    throw httpError(400, 'webauthn_invalid_challenge', 'Unknown, expired or already used challenge')
  }
  return p
}

export class Challenges implements ChallengeBook {
  private pending = new Map<string, Pending>()
  constructor(private readonly now: () => number) {}

  issue(challenge: string, ceremony: Ceremony, user: { id: string | null; name?: string }, owner: string | null): void {
    this.sweep()
    let anonymous = 0
    for (const p of this.pending.values()) if (p.owner === null) anonymous++
    const full = capReached(owner === null ? anonymous : this.pending.size - anonymous, owner)
    if (full) throw full
    this.pending.set(challenge, { ceremony, userId: user.id, userName: user.name ?? null, expiresAt: this.now() + CHALLENGE_TTL_MS, owner })
  }

  /**
   * Consume `challenge` for this ceremony: it is deleted whatever the outcome, so a second try
   * with the same one always fails. `owner` is the credential that started the ceremony (null for
   * an anonymous sign-in); a challenge started by one device cannot be finished by another.
   */
  take(challenge: string, ceremony: Ceremony, owner: string | null): Pending {
    const p = this.pending.get(challenge)
    this.pending.delete(challenge)
    return checked(p, ceremony, owner, this.now())
  }

  private sweep(): void {
    const now = this.now()
    for (const [k, p] of this.pending) if (p.expiresAt <= now) this.pending.delete(k)
  }
}
