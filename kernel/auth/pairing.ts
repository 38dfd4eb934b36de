/**
 * Pairing codes and the `pairing` kernel service. A code is 6 digits from a CSPRNG, single use, and
 * expires (`[gateway.pairing] code_ttl_secs`, default 1 h). Five wrong codes lock a client out.
 * A paired device asking for a code (`initiate`) gets the live one back rather than a new one, so
 * a loop of requests cannot take the code away from someone typing it, and is rate limited.
 */
import { randomInt } from 'node:crypto'
import { httpError, timingSafeEqualStr } from '@revka/plugin-sdk'
import type { PairingService, PairingStatus, PairMetadata, PairResult, DeviceInfo } from '@revka/plugin-sdk'
import type { Credentials } from './credentials.js'
import { toDeviceInfo, type DeviceRegistry } from './devices.js'
import { FailureLimiter, WindowLimiter, type Clock } from './limiter.js'

export const PAIR_MAX_FAILURES = 5
export const PAIR_LOCKOUT_MS = 300_000
const PAIR_FAILURE_WINDOW_MS = 15 * 60_000
/** initiate calls per credential per minute: a person pairing a device needs one or two */
export const INITIATE_PER_CREDENTIAL_PER_MINUTE = 5
/** initiate calls per minute over all credentials, so many devices together cannot flood either */
export const INITIATE_PER_MINUTE = 20

export class PairingManager implements PairingService {
  private code: { value: string; expiresAt: number; expiresIso: string } | null = null
  readonly failures: FailureLimiter
  private readonly initiates: WindowLimiter

  constructor(
    private readonly requirePairing: boolean,
    private readonly ttlMs: number,
    private readonly credentials: Credentials,
    private readonly devices: DeviceRegistry | null,
    private readonly clock: Clock,
    maxKeys: number,
  ) {
    this.failures = new FailureLimiter(PAIR_MAX_FAILURES, PAIR_FAILURE_WINDOW_MS, PAIR_LOCKOUT_MS, clock, maxKeys)
    this.initiates = new WindowLimiter(clock, maxKeys)
  }

  private liveCode(): { value: string; expiresAt: number; expiresIso: string } | null {
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
    const value = String(randomInt(0, 1_000_000)).padStart(6, '0')
    const expiresAt = this.clock() + this.ttlMs
    // formatted once: status() is read by every /health poll
    this.code = { value, expiresAt, expiresIso: new Date(expiresAt).toISOString() }
    return value
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
    if (!current || !given || !timingSafeEqualStr(given, current.value)) {
      this.failures.fail(clientKey)
      throw httpError(403, 'invalid_pairing_code', 'Invalid or expired pairing code')
    }
    // single use: consumed before anything else can observe it
    this.code = null
    this.failures.succeed(clientKey)
    const { token, row } = this.credentials.addDevice({ ...meta, ip: meta.ip ?? clientKey })
    return { token, deviceId: row.id, persisted: true }
  }

  listDevices(): DeviceInfo[] {
    return (this.devices?.all() ?? []).map(toDeviceInfo)
  }

  revoke(deviceId: string): boolean {
    return this.credentials.revoke(deviceId)
  }

  rotate(deviceId: string): { token: string; deviceId: string } | null {
    const token = this.credentials.rotate(deviceId)
    return token ? { token, deviceId } : null
  }
}
