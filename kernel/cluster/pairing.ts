/**
 * The `pairing` kernel service in cluster mode. Codes live in Redis, keyed by their SHA-256, so a
 * code minted on one node pairs on any other, and consuming one is a single Lua step: two nodes
 * given the same code at once cannot both use it. Devices go to PostgreSQL through ClusterDevices.
 * Same rules as the single-node PairingManager (kernel/auth/pairing.ts): one general code,
 * rotation codes bound to a device and capped in number, and a failure lockout per client that
 * is counted in Redis, so wrong codes spread over the nodes add up (shared-lockout.ts), as are
 * the initiate limits (shared-limits.ts). An engine that cannot be reached is a 503 with
 * retry_after, never a crash.
 */
import { randomInt } from 'node:crypto'
import { httpError, isHttpError, sha256Hex } from '@revka/plugin-sdk'
import type { DeviceInfo, PairingService, PairingStatus, PairMetadata, PairResult } from '@revka/plugin-sdk'
import { mintToken, type Credentials } from '../auth/credentials.js'
import { toDeviceInfo } from '../auth/devices.js'
import { WindowLimiter, type Clock } from '../auth/limiter.js'
import { INITIATE_PER_CREDENTIAL_PER_MINUTE, INITIATE_PER_MINUTE, MAX_PENDING_ROTATIONS, PAIR_LOCKOUT_MS, PAIR_MAX_FAILURES } from '../auth/pairing.js'
import type { AuthEvents } from '../audit/auth-events.js'
import type { RedisClient } from './clients.js'
import type { ClusterDevices } from './devices-pg.js'
import type { SharedLimits } from './shared-limits.js'
import { SharedLockout } from './shared-lockout.js'

const PAIR_FAILURE_WINDOW_MS = 15 * 60_000
/** code hash → 'g' (the general code) or 'r:<device id>' (a rotation code) */
const CODE = 'revka:pair:code:'
/** the live general code as `<code>:<hash>`, so initiate can hand it back and a new one can kill it */
const LIVE = 'revka:pair:live'
/** device id → hash of its pending rotation code */
const ROT_OF = 'revka:pair:rot:'
/** pending rotations, device id scored by expiry (the MAX_PENDING_ROTATIONS cap) */
const ROTATIONS = 'revka:pair:rotations'

const MINT = `
local old = redis.call('GET', KEYS[1])
if old then redis.call('DEL', ARGV[3] .. string.sub(old, -64)) end
redis.call('SET', KEYS[2], 'g', 'PX', ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`
const INITIATE = `
local live = redis.call('GET', KEYS[1])
if live then return {live, redis.call('PTTL', KEYS[1])} end
redis.call('SET', KEYS[2], 'g', 'PX', ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {ARGV[1], tonumber(ARGV[2])}`
const CONSUME = `
local v = redis.call('GET', KEYS[1])
if not v then return false end
redis.call('DEL', KEYS[1])
if v == 'g' then
  local live = redis.call('GET', KEYS[2])
  if live and string.sub(live, -64) == ARGV[1] then redis.call('DEL', KEYS[2]) end
else
  local id = string.sub(v, 3)
  redis.call('ZREM', KEYS[3], id)
  redis.call('DEL', ARGV[2] .. id)
end
return v`
const RESERVE_ROTATION = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if not redis.call('ZSCORE', KEYS[1], ARGV[4]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local s = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, s[2]}
end
local old = redis.call('GET', KEYS[2])
if old then redis.call('DEL', ARGV[7] .. old) end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('SET', KEYS[3], 'r:' .. ARGV[4], 'PX', ARGV[6])
redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[6])
return {1, 0}`
const DROP_ROTATION = `
local h = redis.call('GET', KEYS[1])
if h then redis.call('DEL', ARGV[1] .. h) redis.call('DEL', KEYS[1]) end
redis.call('ZREM', KEYS[2], ARGV[2])
return 1`

export class ClusterPairing implements PairingService {
  readonly failures: SharedLockout
  private readonly initiates: WindowLimiter
  /** the last general code this node minted or handed out: status() is synchronous */
  private known: { value: string; expiresAt: number; expiresIso: string } | null = null

  constructor(
    private readonly requirePairing: boolean,
    private readonly ttlMs: number,
    private readonly credentials: Credentials,
    private readonly devices: ClusterDevices,
    private readonly redis: RedisClient,
    private readonly clock: Clock,
    maxKeys: number,
    private readonly onUnavailable: (err: Error) => void,
    private readonly audit?: AuthEvents,
    /** the initiate limits counted over every node (the local window still applies first) */
    private readonly shared?: SharedLimits,
  ) {
    this.failures = new SharedLockout(redis, 'revka:pair:', PAIR_MAX_FAILURES, PAIR_FAILURE_WINDOW_MS, PAIR_LOCKOUT_MS)
    this.initiates = new WindowLimiter(clock, maxKeys)
  }

  status(): PairingStatus {
    const k = this.known && this.known.expiresAt > this.clock() ? this.known : null
    return {
      requirePairing: this.requirePairing,
      paired: this.credentials.deviceCount > 0,
      code: k?.value ?? null,
      // formatted once per code: status() is read by every /api/status and /health request
      codeExpiresAt: k ? k.expiresIso : null,
    }
  }

  async newCode(): Promise<string | null> {
    if (!this.requirePairing) return null
    const value = sixDigits()
    const hash = sha256Hex(value)
    await this.engine(() => this.redis.eval(MINT, 2, LIVE, CODE + hash, `${value}:${hash}`, this.ttlMs, CODE))
    const expiresAt = this.clock() + this.ttlMs
    this.known = { value, expiresAt, expiresIso: new Date(expiresAt).toISOString() }
    return value
  }

  async initiate(caller: string): Promise<{ code: string; expiresAt: string } | null> {
    if (!this.requirePairing) return null
    const wait = this.initiates.take(`c|${caller}`, INITIATE_PER_CREDENTIAL_PER_MINUTE) || this.initiates.take('*', INITIATE_PER_MINUTE)
    if (wait > 0) throw httpError(429, 'rate_limited', `Too many pairing code requests. Try again in ${wait}s.`, { retryAfter: wait })
    // the node's own start-up call is not a credential's request: it never counts across nodes,
    // else a cluster restarting together could be refused its start-up code
    if (this.shared && caller !== 'startup') {
      // limit + 1: the shared script reports a full window from the hit that fills it, this one may still pass
      const ms =
        (await this.shared.hit('initiate', `c|${caller}`, INITIATE_PER_CREDENTIAL_PER_MINUTE + 1, this.initiates.windowMs)) ||
        (await this.shared.hit('initiate', '*', INITIATE_PER_MINUTE + 1, this.initiates.windowMs))
      if (ms > 0) {
        const s = Math.max(1, Math.ceil(ms / 1000))
        throw httpError(429, 'rate_limited', `Too many pairing code requests. Try again in ${s}s.`, { retryAfter: s })
      }
    }
    const value = sixDigits()
    const hash = sha256Hex(value)
    const [live, pttl] = (await this.engine(() => this.redis.eval(INITIATE, 2, LIVE, CODE + hash, `${value}:${hash}`, this.ttlMs))) as [string, number]
    const code = live.slice(0, live.indexOf(':'))
    const expiresAt = this.clock() + Number(pttl)
    this.known = { value: code, expiresAt, expiresIso: new Date(expiresAt).toISOString() }
    return { code, expiresAt: this.known.expiresIso }
  }

  async pair(code: string, clientKey: string, meta: PairMetadata): Promise<PairResult> {
    const locked = await this.engine(() => this.failures.lockedFor(clientKey))
    if (locked > 0) throw httpError(429, 'too_many_attempts', `Too many failed attempts. Try again in ${locked}s.`, { retryAfter: locked })
    const given = typeof code === 'string' ? code.trim() : ''
    let result: PairResult | null = null
    let rotation = false
    if (this.requirePairing && /^\d{6}$/.test(given)) {
      const hash = sha256Hex(given)
      const hit = (await this.engine(() => this.redis.eval(CONSUME, 3, CODE + hash, LIVE, ROTATIONS, hash, ROT_OF))) as string | null
      if (hit === 'g') {
        if (this.known?.value === given) this.known = null
        const token = mintToken()
        const row = await this.engine(() => this.devices.add(sha256Hex(token), { ...meta, ip: meta.ip ?? clientKey }))
        result = { token, deviceId: row.id, persisted: true }
      } else if (hit) {
        rotation = true
        const deviceId = hit.slice(2)
        const token = mintToken()
        // the device may have been revoked since: then the code is worth nothing
        if (await this.engine(() => this.devices.rotate(deviceId, sha256Hex(token)))) result = { token, deviceId, persisted: true }
      }
    }
    if (!result) {
      const { lockout, remaining } = await this.engine(() => this.failures.fail(clientKey))
      this.audit?.failure('pairing_code', clientKey, lockout, remaining)
      throw httpError(403, 'invalid_pairing_code', 'Invalid or expired pairing code')
    }
    await this.failures.succeed(clientKey).catch(() => {})
    this.audit?.paired(result.deviceId, clientKey, rotation)
    return result
  }

  listDevices(): DeviceInfo[] {
    return this.devices.all().map(toDeviceInfo)
  }

  async revoke(deviceId: string): Promise<boolean> {
    // PostgreSQL alone decides: a revocation must not wait for Redis. A rotation code left behind
    // is worth nothing (pairing with it finds no device) and expires with its TTL.
    const done = (await this.engine(() => this.devices.revoke(deviceId))) !== undefined
    await this.redis.eval(DROP_ROTATION, 2, ROT_OF + deviceId, ROTATIONS, CODE, deviceId).catch(() => {})
    return done
  }

  async rotate(deviceId: string): Promise<{ deviceId: string; code: string; expiresAt: string } | null> {
    if (!this.requirePairing || !this.devices.get(deviceId)) return null
    const now = this.clock()
    const value = sixDigits()
    const hash = sha256Hex(value)
    const expiresAt = now + this.ttlMs
    const [ok, soonest] = (await this.engine(() =>
      this.redis.eval(RESERVE_ROTATION, 3, ROTATIONS, ROT_OF + deviceId, CODE + hash, now, expiresAt, MAX_PENDING_ROTATIONS, deviceId, hash, this.ttlMs, CODE),
    )) as [number, string | null]
    if (!ok) {
      const wait = Math.max(1, Math.ceil((Number(soonest) - now) / 1000))
      throw httpError(
        429,
        'too_many_rotations',
        `${MAX_PENDING_ROTATIONS} devices are already waiting to pair again with a rotation code. Try again in ${wait}s.`,
        { retryAfter: wait },
      )
    }
    // the old token dies now; the token minted in its place is never shown to anyone
    if (!(await this.engine(() => this.devices.rotate(deviceId, sha256Hex(mintToken()))))) {
      await this.engine(() => this.redis.eval(DROP_ROTATION, 2, ROT_OF + deviceId, ROTATIONS, CODE, deviceId))
      return null
    }
    return { deviceId, code: value, expiresAt: new Date(expiresAt).toISOString() }
  }

  async mintDevice(meta: PairMetadata & { parentDeviceId: string; via: 'passkey' }): Promise<PairResult | null> {
    if (!this.requirePairing || !this.devices.get(meta.parentDeviceId)) return null
    const token = mintToken()
    const row = await this.engine(() =>
      this.devices.add(sha256Hex(token), { name: meta.name, deviceType: meta.deviceType, hardware: meta.hardware, ip: meta.ip }),
    )
    return { token, deviceId: row.id, persisted: true }
  }

  /** an engine call; a lost engine is the route's 503 (with retry_after), not a 500 or a crash */
  private async engine<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (e) {
      if (isHttpError(e)) throw e
      this.onUnavailable(e as Error)
      throw httpError(503, 'cluster_unavailable', 'The shared state (PostgreSQL or Redis) cannot be reached right now; try again shortly', { retryAfter: 5 })
    }
  }
}

function sixDigits(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0')
}
