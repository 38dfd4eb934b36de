/**
 * Brute-force limits, per client key, in bounded LRU maps (lru-cache: the least recently used key
 * is evicted first).
 * - FailureLimiter: N failures inside a window lock the key out for a while.
 * - WindowLimiter: at most N requests per key per minute (sliding window).
 * Both take an injectable clock so tests can expire lockouts without sleeping.
 */
import { LRUCache } from 'lru-cache'

export type Clock = () => number

/**
 * Cluster mode: a FailureLimiter's count kept in Redis as well, so the nodes add up
 * (kernel/cluster/shared-limits.ts). A lockout it starts or finds is mirrored into the local
 * limiter, which every check still reads alone.
 */
export interface SharedFailures {
  /** count one failure on every node: the lockout it started or found (seconds) and the failures left; null while Redis is unreachable (the local count stands alone) */
  fail(key: string): Promise<{ lockout: number; remaining: number } | null>
  /** a success clears the failures counted on every node */
  clear(key: string): void
}

interface FailState {
  failures: number[]
  lockedUntil: number
}

export class FailureLimiter {
  private state: LRUCache<string, FailState>
  constructor(
    readonly maxFailures: number,
    readonly windowMs: number,
    readonly lockoutMs: number,
    private readonly clock: Clock,
    maxKeys = 10_000,
  ) {
    this.state = new LRUCache({ max: maxKeys })
  }

  /** seconds left in the lockout, or 0 */
  lockedFor(key: string): number {
    const s = this.state.get(key)
    if (!s) return 0
    const left = s.lockedUntil - this.clock()
    return left > 0 ? Math.ceil(left / 1000) : 0
  }

  /** record a failure; returns seconds of lockout if this failure triggered one */
  fail(key: string): number {
    const now = this.clock()
    const s = this.state.get(key) ?? { failures: [], lockedUntil: 0 }
    s.failures = s.failures.filter((t) => now - t < this.windowMs)
    s.failures.push(now)
    if (s.failures.length >= this.maxFailures) {
      s.lockedUntil = now + this.lockoutMs
      s.failures = []
    }
    this.state.set(key, s)
    return this.lockedFor(key)
  }

  /** failures the key may still make before a lockout */
  remaining(key: string): number {
    const s = this.state.get(key)
    if (!s) return this.maxFailures
    const now = this.clock()
    return Math.max(0, this.maxFailures - s.failures.filter((t) => now - t < this.windowMs).length)
  }

  /** a success clears the key's failures; true when there were some (or a lockout just ended) */
  succeed(key: string): boolean {
    const s = this.state.get(key)
    if (!s || s.lockedUntil > this.clock()) return false
    this.state.delete(key)
    return true
  }

  /**
   * Lock the key out for `ms` from now (a longer running lockout stays): cluster mode mirrors here
   * a lockout another node started, so the per-request check stays one local lookup.
   */
  lock(key: string, ms: number): void {
    const until = this.clock() + ms
    const s = this.state.get(key) ?? { failures: [], lockedUntil: 0 }
    if (s.lockedUntil >= until) return
    s.lockedUntil = until
    s.failures = []
    this.state.set(key, s)
  }

  get size(): number {
    return this.state.size
  }
}

export class WindowLimiter {
  private hits: LRUCache<string, number[]>
  constructor(
    private readonly clock: Clock,
    maxKeys = 10_000,
    readonly windowMs = 60_000,
  ) {
    this.hits = new LRUCache({ max: maxKeys })
  }

  /** 0 if allowed (and counted), else seconds until a slot frees up */
  take(key: string, perWindow: number): number {
    if (perWindow <= 0) return 0
    const now = this.clock()
    const list = (this.hits.get(key) ?? []).filter((t) => now - t < this.windowMs)
    if (list.length >= perWindow) {
      this.hits.set(key, list)
      return Math.max(1, Math.ceil((list[0] + this.windowMs - now) / 1000))
    }
    list.push(now)
    this.hits.set(key, list)
    return 0
  }
}
