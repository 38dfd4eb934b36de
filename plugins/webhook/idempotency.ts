/**
 * Recently seen `X-Idempotency-Key`s, bounded in time (`idempotency_ttl_secs`, default 300) and
 * size (`idempotency_max_keys`, default 10 000, oldest evicted first). Held in memory like the
 * reference: this provider answers synchronously, so a caller that lost the answer to a restart
 * gets a fresh one rather than a "duplicate" with no content.
 */
export class IdempotencyWindow {
  private readonly keys = new Map<string, number>()

  constructor(private readonly ttlMs: number, private readonly maxKeys: number, private readonly now: () => number = Date.now) {}

  /** true if `key` is new (and now claimed); false if seen within the window */
  claim(key: string): boolean {
    const t = this.now()
    const at = this.keys.get(key)
    if (at !== undefined && t - at < this.ttlMs) return false
    this.keys.delete(key) // re-insert so Map order stays oldest-first
    this.keys.set(key, t)
    while (this.keys.size > this.maxKeys) this.keys.delete(this.keys.keys().next().value as string)
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
