/**
 * Recently seen `X-Idempotency-Key`s, bounded in time (`idempotency_ttl_secs`, default 300) and
 * size (`idempotency_max_keys`, default 10 000, oldest evicted first). Held in memory like the
 * reference: this provider answers synchronously, so a caller that lost the answer to a restart
 * gets a fresh one rather than a "duplicate" with no content. The time check is by hand, against
 * the injectable clock; lru-cache keeps the bound (peek never refreshes, so the oldest claim goes first).
 */
import { LRUCache } from 'lru-cache'

/** What the route needs of a window: this one (memory), or `SharedIdempotencyWindow` in cluster mode. */
export interface IdempotencyClaims {
  /** true if `key` is new (and now claimed); false if seen within the window */
  claim(key: string): boolean | Promise<boolean>
  /** forget a claim whose request failed, so the caller's retry is processed */
  release(key: string): void | Promise<void>
  /** the claim's request answered (a shared window tells it from one a dead node left open) */
  finish?(key: string): Promise<void>
}

export class IdempotencyWindow implements IdempotencyClaims {
  private readonly keys: LRUCache<string, number>

  constructor(
    private readonly ttlMs: number,
    maxKeys: number,
    private readonly now: () => number = Date.now,
  ) {
    this.keys = new LRUCache({ max: maxKeys })
  }

  /** true if `key` is new (and now claimed); false if seen within the window */
  claim(key: string): boolean {
    const t = this.now()
    const at = this.keys.peek(key)
    if (at !== undefined && t - at < this.ttlMs) return false
    // a fresh claim is the newest entry: the next to be evicted is the oldest claim
    this.keys.set(key, t)
    return true
  }

  /** forget a claim whose request failed, so the caller's retry is processed */
  release(key: string): void {
    this.keys.delete(key)
  }

  get size(): number {
    return this.keys.size
  }
}
