/**
 * Pairing codes and the `pairing` kernel service. A code is 6 digits from a CSPRNG, single use, and
 * expires (`[gateway.pairing] code_ttl_secs`, default 1 h). Five wrong codes lock a client out.
 * A paired device asking for a code (`initiate`) gets the live one back rather than a new one, so
 * a loop of requests cannot take the code away from someone typing it, and is rate limited.
 *
 * Rotating a device's token kills the old one at once and hands back a code bound to that device
 * (contract §1.18: `{device_id, pairing_code, message}`): whoever pairs with it gets a new token
 * for the same device id. Rotation codes live beside the one general code (a rotation never takes
 * the general code from someone typing it), expire like it, and are capped in number.
 */
import { randomInt } from 'node:crypto'
import { httpError, timingSafeEqualStr } from '@revka/plugin-sdk'
import type { PairingService, PairingStatus, PairMetadata, PairResult, DeviceInfo } from '@revka/plugin-sdk'
import type { Credentials } from './credentials.js'
import { toDeviceInfo, type DeviceRegistry } from './devices.js'
import { FailureLimiter, WindowLimiter, type Clock } from './limiter.js'
import type { AuthEvents } from '../audit/auth-events.js'

export const PAIR_MAX_FAILURES = 5
export const PAIR_LOCKOUT_MS = 300_000
const PAIR_FAILURE_WINDOW_MS = 15 * 60_000
/** initiate calls per credential per minute: a person pairing a device needs one or two */
export const INITIATE_PER_CREDENTIAL_PER_MINUTE = 5
/** initiate calls per minute over all credentials, so many devices together cannot flood either */
export const INITIATE_PER_MINUTE = 20
/** rotation codes pending at once: each is one more 6-digit code a guesser could hit */
export const MAX_PENDING_ROTATIONS = 16

interface Code {
  value: string
  expiresAt: number
  expiresIso: string
}

export class PairingManager implements PairingService {
  private code: Code | null = null
  /** device id → the code that re-pairs it after a rotation */
  private rotations = new Map<string, Code>()
  readonly failures: FailureLimiter
  private readonly initiates: WindowLimiter

  constructor(
    private readonly requirePairing: boolean,
    private readonly ttlMs: number,
    private readonly credentials: Credentials,
    private readonly devices: DeviceRegistry | null,
    private readonly clock: Clock,
    maxKeys: number,
    private readonly audit?: AuthEvents,
  ) {
    this.failures = new FailureLimiter(PAIR_MAX_FAILURES, PAIR_FAILURE_WINDOW_MS, PAIR_LOCKOUT_MS, clock, maxKeys)
    this.initiates = new WindowLimiter(clock, maxKeys)
  }

  private mint(): Code {
    const value = String(randomInt(0, 1_000_000)).padStart(6, '0')
    const expiresAt = this.clock() + this.ttlMs
    // formatted once: status() is read by every /health poll
    return { value, expiresAt, expiresIso: new Date(expiresAt).toISOString() }
  }

  private liveCode(): Code | null {
    if (this.code && this.code.expiresAt <= this.clock()) this.code = null
    return this.code
  }

  status(): PairingStatus {
    const c = this.liveCode()
    return {
      requirePairing: this.requirePairing,
      paired: this.credentials.deviceCount > 0,
      code: c?.value ?? null,
      codeExpiresAt: c ? c.expiresIso : null,
    }
  }

  newCode(): string | null {
    if (!this.requirePairing) return null
    this.code = this.mint()
    return this.code.value
  }

  initiate(caller: string): { code: string; expiresAt: string } | null {
    if (!this.requirePairing) return null
    // the caller's own limit first, so one credential in a loop does not use up everyone's
    const wait = this.initiates.take(`c|${caller}`, INITIATE_PER_CREDENTIAL_PER_MINUTE) || this.initiates.take('*', INITIATE_PER_MINUTE)
    if (wait > 0) throw httpError(429, 'rate_limited', `Too many pairing code requests. Try again in ${wait}s.`, { retryAfter: wait })
    const live = this.liveCode()
    if (live) return { code: live.value, expiresAt: live.expiresIso }
    const value = this.newCode()!
    return { code: value, expiresAt: this.code!.expiresIso }
  }

  pair(code: string, clientKey: string, meta: PairMetadata): PairResult {
    const locked = this.failures.lockedFor(clientKey)
    if (locked > 0) throw httpError(429, 'too_many_attempts', `Too many failed attempts. Try again in ${locked}s.`, { retryAfter: locked })
    const current = this.requirePairing ? this.liveCode() : null
    const given = typeof code === 'string' ? code.trim() : ''
    const rotated = given ? this.rotationFor(given) : undefined
    let result: PairResult | null = null
    if (current && given && timingSafeEqualStr(given, current.value)) {
      // single use: consumed before anything else can observe it
      this.code = null
      const { token, row } = this.credentials.addDevice({ ...meta, ip: meta.ip ?? clientKey })
      result = { token, deviceId: row.id, persisted: true }
    } else if (rotated) {
      this.rotations.delete(rotated)
      // the device may have been revoked since: then the code is worth nothing
      const token = this.credentials.rotate(rotated)
      if (token) result = { token, deviceId: rotated, persisted: true }
    }
    if (!result) {
      const lockout = this.failures.fail(clientKey)
      this.audit?.failure('pairing_code', clientKey, lockout, this.failures.remaining(clientKey))
      throw httpError(403, 'invalid_pairing_code', 'Invalid or expired pairing code')
    }
    this.failures.succeed(clientKey)
    this.audit?.paired(result.deviceId, clientKey, rotated !== undefined)
    return result
  }

  /** the device whose live rotation code this is; every pending code is compared in constant time */
  private rotationFor(given: string): string | undefined {
    const now = this.clock()
    let hit: string | undefined
    for (const [deviceId, c] of this.rotations) {
      if (c.expiresAt <= now) {
        this.rotations.delete(deviceId)
        continue
      }
      if (timingSafeEqualStr(given, c.value)) hit = deviceId
    }
    return hit
  }

  listDevices(): DeviceInfo[] {
    return (this.devices?.all() ?? []).map(toDeviceInfo)
  }

  revoke(deviceId: string): boolean {
    this.rotations.delete(deviceId)
    return this.credentials.revoke(deviceId)
  }

  mintDevice(meta: PairMetadata & { parentDeviceId: string; via: 'passkey' }): PairResult | null {
    if (!this.requirePairing || !this.devices?.get(meta.parentDeviceId)) return null
    const { token, row } = this.credentials.addDevice({ name: meta.name, deviceType: meta.deviceType, hardware: meta.hardware, ip: meta.ip })
    return { token, deviceId: row.id, persisted: true }
  }

  rotate(deviceId: string): { deviceId: string; code: string; expiresAt: string } | null {
    if (!this.requirePairing || !this.devices?.get(deviceId)) return null
    const now = this.clock()
    for (const [id, c] of this.rotations) if (c.expiresAt <= now) this.rotations.delete(id)
    if (!this.rotations.has(deviceId) && this.rotations.size >= MAX_PENDING_ROTATIONS) {
      const soonest = Math.min(...[...this.rotations.values()].map((c) => c.expiresAt))
      const wait = Math.max(1, Math.ceil((soonest - now) / 1000))
      throw httpError(
        429,
        'too_many_rotations',
        `${MAX_PENDING_ROTATIONS} devices are already waiting to pair again with a rotation code. Try again in ${wait}s.`,
        { retryAfter: wait },
      )
    }
    // the old token dies now; the token minted in its place is never shown to anyone, so the
    // device is locked out until it pairs again with the code
    if (this.credentials.rotate(deviceId) === null) return null
    const code = this.mint()
    this.rotations.set(deviceId, code)
    return { deviceId, code: code.value, expiresAt: code.expiresIso }
  }
}
