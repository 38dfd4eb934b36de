/**
 * A failure lockout counted in Redis, so the nodes share it (issue 18: "lockouts are counted
 * across nodes"): five wrong pairing codes spread over three nodes lock the client out on all of
 * them, as five on one node do on a single gateway. Same rule as FailureLimiter
 * (kernel/auth/limiter.ts) — N failures inside the window lock the key out — with a fixed window
 * that starts at the first failure instead of a sliding one (one counter key with a TTL instead
 * of a list per client). Every key carries a TTL, so what a flood of client keys can leave behind
 * in Redis expires within the window.
 */
import type { RedisClient } from './clients.js'

const FAIL = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  redis.call('DEL', KEYS[1])
  return {tonumber(ARGV[3]), 0}
end
return {0, tonumber(ARGV[1]) - n}`

export class SharedLockout {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly lockoutMs: number,
  ) {}

  /** seconds of lockout left, or 0 */
  async lockedFor(key: string): Promise<number> {
    const ms = Number(await this.redis.pttl(`${this.prefix}lock:${key}`))
    return ms > 0 ? Math.ceil(ms / 1000) : 0
  }

  /** record a failure: the lockout it started (seconds, 0 if none) and the failures left */
  async fail(key: string): Promise<{ lockout: number; remaining: number }> {
    const [ms, remaining] = (await this.redis.eval(
      FAIL,
      2,
      `${this.prefix}fail:${key}`,
      `${this.prefix}lock:${key}`,
      this.maxFailures,
      this.windowMs,
      this.lockoutMs,
    )) as [number, number]
    return { lockout: Math.ceil(Number(ms) / 1000), remaining: Number(remaining) }
  }

  /** a success clears the key's failures (not a running lockout) */
  async succeed(key: string): Promise<void> {
    await this.redis.del(`${this.prefix}fail:${key}`)
  }
}
