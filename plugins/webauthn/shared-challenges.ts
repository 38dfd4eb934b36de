/**
 * Pending ceremony challenges in cluster mode (issue 18): kept in `webauthn_challenges` instead of
 * the node's memory, because a load balancer may send a ceremony's options call to one node and its
 * verify call to another. The rules of challenges.ts hold across the cluster:
 * - single use: `take` is one `DELETE … RETURNING`, so of two nodes finishing with the same
 *   challenge at once exactly one gets it, and it is gone whatever the outcome;
 * - 5-minute TTL, bound to ceremony, user and the starting credential (checked as on one node);
 * - the caps count every node's pending challenges: an issue takes the row lock of
 *   `webauthn_locks` ('challenges'), sweeps the expired ones, counts, then inserts.
 * Expiry is the gateway clock of the node that issued (expires_at) and of the node that takes;
 * nodes' clocks a few seconds apart only move a 5-minute window by as much.
 */
import type { SharedSqlService } from '@revka/plugin-sdk'
import { CHALLENGE_TTL_MS, capReached, checked, type Ceremony, type ChallengeBook, type Pending } from './challenges.js'

interface Row {
  ceremony: Ceremony
  user_id: string | null
  user_name: string | null
  owner: string | null
  expires_at: string
}

export class SharedChallenges implements ChallengeBook {
  constructor(
    private readonly sql: SharedSqlService,
    private readonly now: () => number,
  ) {}

  async issue(challenge: string, ceremony: Ceremony, user: { id: string | null; name?: string }, owner: string | null): Promise<void> {
    const now = this.now()
    await this.sql.transaction(async (tx) => {
      await tx.query(`SELECT name FROM webauthn_locks WHERE name = 'challenges' FOR UPDATE`)
      await tx.query('DELETE FROM webauthn_challenges WHERE expires_at <= $1', [now])
      const { rows } = await tx.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM webauthn_challenges WHERE ${owner === null ? 'owner IS NULL' : 'owner IS NOT NULL'}`,
      )
      const full = capReached(rows[0].n, owner)
      if (full) throw full
      await tx.query('INSERT INTO webauthn_challenges (challenge, ceremony, user_id, user_name, owner, expires_at) VALUES ($1, $2, $3, $4, $5, $6)', [
        challenge,
        ceremony,
        user.id,
        user.name ?? null,
        owner,
        now + CHALLENGE_TTL_MS,
      ])
    })
  }

  async take(challenge: string, ceremony: Ceremony, owner: string | null): Promise<Pending> {
    const { rows } = await this.sql.query<Row>(
      'DELETE FROM webauthn_challenges WHERE challenge = $1 RETURNING ceremony, user_id, user_name, owner, expires_at',
      [challenge],
    )
    const r = rows[0]
    const p = r && { ceremony: r.ceremony, userId: r.user_id, userName: r.user_name, owner: r.owner, expiresAt: Number(r.expires_at) }
    return checked(p, ceremony, owner, this.now())
  }
}
