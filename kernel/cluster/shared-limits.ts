/**
 * Rate limits and lockouts counted across the nodes (issue 18): the bearer/service-token failure
 * lockout, the `auth-limiter` service and the routes' `rateLimit` add up over every node, as they
 * do on one gateway.
 *
 * - The count is in Redis, one Lua script per event (INCR, PEXPIRE on the first, a lock key with a
 *   TTL), keyed by limiter name and client key: atomic whichever node counts, and every key
 *   expires, so a flood of client keys leaves nothing behind past its window.
 * - The decision on a request stays local and synchronous: the script PUBLISHes a lockout (or a
 *   full window) once, when it starts, and every node mirrors it into its own limiter, so the
 *   per-request check is still one map lookup. The node that counted mirrors the script's reply
 *   too, in case its subscriber missed the message.
 * - The local limiters keep counting as on a single node, so one node alone never allows more than
 *   a single gateway does, and while Redis is unreachable they are the whole count: logged once,
 *   `/health` shows `cluster:redis` down, nothing fails open silently and nothing throws.
 */
import { LRUCache } from 'lru-cache'
import type { Logger } from 'pino'
import { WindowLimiter, type Clock, type FailureLimiter, type SharedFailures } from '../auth/limiter.js'
import type { RedisClient } from './clients.js'

export const LIMITS_CHANNEL = 'revka:limits'
const PREFIX = 'revka:limit:'
/** an awaited count waits this long for Redis; past it the local count stands alone */
const REDIS_WAIT_MS = 250

/** KEYS: failures, lock. ARGV: max, window ms, lockout ms, channel, message head. Returns {lock ms, left}. */
const FAIL = `
local held = redis.call('PTTL', KEYS[2])
if held > 0 then return {held, 0} end
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[4], ARGV[5] .. ARGV[3] .. ']')
  return {tonumber(ARGV[3]), 0}
end
return {0, tonumber(ARGV[1]) - n}`

/** KEYS: hits. ARGV: per window, window ms, channel, message head. Returns the ms the window stays full, or 0. */
const HIT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n < tonumber(ARGV[1]) then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 0 end
if n == tonumber(ARGV[1]) then redis.call('PUBLISH', ARGV[3], ARGV[4] .. ttl .. ']') end
return ttl`

type Mirror = (key: string, ms: number) => void

export class SharedLimits {
  private readonly mirrors = new Map<string, Mirror>()
  private sub?: RedisClient
  private degraded = false

  constructor(
    private readonly redis: RedisClient,
    private readonly log: Logger,
  ) {}

  /** listen for lockouts the other nodes start; resolves once subscribed */
  async start(): Promise<void> {
    const sub = (this.sub = this.redis.duplicate())
    sub.on('error', () => {}) // reconnects (and resubscribes) by itself, like the command connection
    sub.on('message', (channel: string, msg: string) => {
      if (channel === LIMITS_CHANNEL) this.received(msg)
    })
    await sub.subscribe(LIMITS_CHANNEL)
  }

  /** `limiter`'s failures counted on every node under `name` */
  failures(name: string, limiter: FailureLimiter): SharedFailures {
    this.mirrors.set(name, (key, ms) => limiter.lock(key, ms))
    const keys = (key: string) => [`${PREFIX}${name}:fail:${key}`, `${PREFIX}${name}:lock:${key}`]
    return {
      fail: async (key) => {
        const args = [limiter.maxFailures, limiter.windowMs, limiter.lockoutMs, LIMITS_CHANNEL, head(name, key)]
        const r = (await this.run(FAIL, keys(key), args)) as [number, number] | null
        if (!r) return null
        const ms = Number(r[0])
        if (ms > 0) limiter.lock(key, ms)
        return { lockout: Math.ceil(ms / 1000), remaining: Number(r[1]) }
      },
      clear: (key) => {
        if (this.redis.status === 'ready') this.redis.del(keys(key)[0]).catch(() => {})
      },
    }
  }

  /** a WindowLimiter whose hits count on every node under `name` */
  window(name: string, clock: Clock, maxKeys: number): WindowLimiter {
    const w = new SharedWindowLimiter(this, name, clock, maxKeys)
    this.mirrors.set(name, (key, ms) => w.block(key, ms))
    return w
  }

  /** count one hit; resolves to how long the window stays full (ms), 0 while it has room or Redis is away */
  async hit(name: string, key: string, perWindow: number, windowMs: number): Promise<number> {
    const r = await this.run(HIT, [`${PREFIX}${name}:hits:${key}`], [perWindow, windowMs, LIMITS_CHANNEL, head(name, key)])
    return r === null ? 0 : Number(r)
  }

  /** false until subscribed, and while the subscriber reconnects: lockouts from other nodes miss this one */
  get listening(): boolean {
    return this.sub?.status === 'ready'
  }

  async close(): Promise<void> {
    this.sub?.disconnect()
  }

  private received(msg: string): void {
    let m: unknown
    try {
      m = JSON.parse(msg)
    } catch {
      return
    }
    if (!Array.isArray(m) || typeof m[0] !== 'string' || typeof m[1] !== 'string' || !(Number(m[2]) > 0)) return
    this.mirrors.get(m[0])?.(m[1], Number(m[2]))
  }

  /** the script's reply, or null when Redis cannot answer now (then the local count stands) */
  private async run(script: string, keys: string[], args: Array<string | number>): Promise<unknown> {
    if (this.redis.status !== 'ready') return this.down(`Redis ${this.redis.status}`)
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_, no) => {
      timer = setTimeout(() => no(new Error(`no answer in ${REDIS_WAIT_MS} ms`)), REDIS_WAIT_MS)
    })
    try {
      const r = await Promise.race([this.redis.eval(script, keys.length, ...keys, ...args), late])
      if (this.degraded) {
        this.degraded = false
        this.log.info('cluster: Redis is back; rate limits and lockouts are counted across the nodes again')
      }
      return r
    } catch (e) {
      return this.down((e as Error).message)
    } finally {
      clearTimeout(timer)
    }
  }

  private down(why: string): null {
    if (!this.degraded) {
      this.degraded = true
      this.log.warn({ err: why }, 'cluster: Redis unreachable; rate limits and lockouts are counted on this node only until it is back')
    }
    return null
  }
}

/** the published message up to its last element, the milliseconds the script appends: ["name","key",ms] */
function head(name: string, key: string): string {
  return JSON.stringify([name, key]).slice(0, -1) + ','
}

/**
 * The local sliding window first, as on one node; then the hit counts in Redis (not awaited: a
 * request inside its limit never waits for Redis), and a window the nodes filled together blocks
 * the key here until it ends. A burst racing the count can pass the limit by the hits in flight.
 */
class SharedWindowLimiter extends WindowLimiter {
  private readonly blocked: LRUCache<string, number>

  constructor(
    private readonly limits: SharedLimits,
    private readonly name: string,
    private readonly now: Clock,
    maxKeys: number,
  ) {
    super(now, maxKeys)
    this.blocked = new LRUCache({ max: maxKeys })
  }

  override take(key: string, perWindow: number): number {
    if (perWindow <= 0) return 0
    const until = this.blocked.get(key)
    if (until !== undefined && until > this.now()) return Math.max(1, Math.ceil((until - this.now()) / 1000))
    const wait = super.take(key, perWindow)
    if (wait > 0) return wait
    void this.limits.hit(this.name, key, perWindow, this.windowMs).then((ms) => {
      if (ms > 0) this.block(key, ms)
    })
    return 0
  }

  block(key: string, ms: number): void {
    this.blocked.set(key, this.now() + ms)
  }
}
