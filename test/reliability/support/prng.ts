/**
 * A seeded PRNG for the reliability suite. Every random choice a test makes (fuzz cases, kill
 * timings) comes from one of these, so a failure reproduces from the printed seed:
 * `REVKA_FUZZ_SEED=<seed> npm run test:reliability`.
 */

/** The run's seed: `REVKA_FUZZ_SEED` when set (decimal or 0x-hex), else a fresh random one. */
export function runSeed(): number {
  const env = process.env.REVKA_FUZZ_SEED?.trim()
  if (env) {
    const n = env.startsWith('0x') ? parseInt(env.slice(2), 16) : Number(env)
    if (!Number.isFinite(n)) throw new Error(`REVKA_FUZZ_SEED must be an integer, got "${env}"`)
    return n >>> 0
  }
  return (Math.random() * 2 ** 32) >>> 0
}

/** mulberry32: tiny, fast, good enough to pick fuzz cases; not for anything secret. */
export class Rng {
  private state: number

  constructor(readonly seed: number) {
    this.state = seed >>> 0
  }

  /** a float in [0, 1) */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** an integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** an integer in [lo, hi] */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1)
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]
  }

  /** a child generator: a sub-sequence that does not shift when the parent's use changes */
  fork(label: string): Rng {
    let h = this.seed ^ 0x9e3779b9
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0
    return new Rng(h)
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n)
    for (let i = 0; i < n; i++) b[i] = this.int(256)
    return b
  }
}
