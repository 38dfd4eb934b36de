/**
 * The set of valid bearer credentials, held as SHA-256 hashes: paired devices (from SQLite) and
 * the operator's `REVKA_GATEWAY_ADMIN_TOKEN` (plaintext or hash; never stored). A lookup is one
 * hash and one Map get, so auth does no I/O per request; the hash of a recently verified token is
 * remembered in memory (never on disk) until the next revocation.
 */
import { randomBytes } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { sha256Hex, timingSafeEqualStr } from '@revka/plugin-sdk'
import type { DeviceRegistry, DeviceRow } from './devices.js'
import type { Clock } from './limiter.js'

/** how many recently verified tokens keep their hash at hand */
const RECENT_TOKENS = 256

export interface BearerPrincipal {
  via: 'bearer' | 'admin-token'
  deviceId?: string
  credentialId: string
}

const LAST_SEEN_EVERY_MS = 60_000

export function credentialIdOf(hash: string): string {
  return hash.slice(0, 16)
}

export function mintToken(): string {
  return 'rk_' + randomBytes(32).toString('hex')
}

export class Credentials {
  private byHash = new Map<string, { deviceId?: string; kind: 'device' | 'admin' }>()
  // kept by every change to byHash: /health reads it on every poll, and counting the map
  // there made a poll cost grow with the number of paired devices
  private devicesLive = 0
  // token → hash for tokens that recently verified: SHA-256 per request was the largest single
  // cost of an authenticated request. Only hits are kept (junk tokens cannot evict real ones), the
  // verdict still comes from byHash (a revoked token's hash is gone from it), and any revocation
  // clears it so no dead token lingers in memory. Read with peek: eviction stays first in, first
  // out, as it was before lru-cache held it.
  private recentHashes = new LRUCache<string, string>({ max: RECENT_TOKENS })
  private lastSeen = new Map<string, number>()
  private revokeListeners: Array<(credentialId: string) => void> = []

  constructor(
    private readonly devices: DeviceRegistry | null,
    private readonly serviceToken: string,
    adminToken: string | undefined,
    private readonly clock: Clock,
  ) {
    for (const d of devices?.all() ?? []) this.setDevice(d.token_hash, d.id)
    if (adminToken && adminToken.trim()) {
      const t = adminToken.trim()
      const hash = /^[0-9a-f]{64}$/i.test(t) ? t.toLowerCase() : sha256Hex(t)
      if (!devices?.isRevoked(hash)) {
        if (this.byHash.get(hash)?.kind === 'device') this.devicesLive--
        this.byHash.set(hash, { kind: 'admin' })
      }
    }
  }

  get deviceCount(): number {
    return this.devicesLive
  }

  /** a device's hash becomes valid (also how the cluster mirror applies another node's pairing) */
  setDevice(hash: string, deviceId: string): void {
    if (this.byHash.get(hash)?.kind !== 'device') this.devicesLive++
    this.byHash.set(hash, { deviceId, kind: 'device' })
  }

  verifyBearer(token: string | undefined): BearerPrincipal | null {
    if (!token || token.length > 512) return null
    let hash = this.recentHashes.peek(token)
    if (hash === undefined) {
      hash = sha256Hex(token)
      if (this.byHash.has(hash)) this.recentHashes.set(token, hash)
    }
    const hit = this.byHash.get(hash)
    if (!hit) return null
    if (hit.deviceId) this.touch(hit.deviceId)
    return { via: hit.kind === 'admin' ? 'admin-token' : 'bearer', deviceId: hit.deviceId, credentialId: credentialIdOf(hash) }
  }

  verifyService(token: string | undefined): boolean {
    return !!token && timingSafeEqualStr(token, this.serviceToken)
  }

  /** called on every revocation with the credential id of the dead token */
  onRevoke(fn: (credentialId: string) => void): void {
    this.revokeListeners.push(fn)
  }

  addDevice(meta: Parameters<DeviceRegistry['add']>[1]): { token: string; row: DeviceRow } {
    if (!this.devices) throw new Error('REVKA_ERR_PAIRING_OFF: pairing is disabled, no device registry')
    const token = mintToken()
    const hash = sha256Hex(token)
    const row = this.devices.add(hash, meta)
    this.setDevice(hash, row.id)
    return { token, row }
  }

  revoke(deviceId: string): boolean {
    const row = this.devices?.revoke(deviceId)
    if (!row) return false
    this.forget(row.token_hash)
    return true
  }

  rotate(deviceId: string): string | null {
    if (!this.devices) return null
    const token = mintToken()
    const hash = sha256Hex(token)
    const done = this.devices.rotate(deviceId, hash)
    if (!done) return null
    this.forget(done.old)
    this.setDevice(hash, deviceId)
    return token
  }

  /** a hash stops being valid and its live connections end (also the cluster mirror's revocations) */
  forget(hash: string): void {
    this.recentHashes.clear()
    if (this.byHash.get(hash)?.kind === 'device') this.devicesLive--
    this.byHash.delete(hash)
    const id = credentialIdOf(hash)
    for (const fn of this.revokeListeners) {
      try {
        fn(id)
      } catch {}
    }
  }

  private touch(deviceId: string): void {
    const now = this.clock()
    const last = this.lastSeen.get(deviceId) ?? 0
    if (now - last < LAST_SEEN_EVERY_MS) return
    this.lastSeen.set(deviceId, now)
    // off the request path: last_seen is bookkeeping, not something to wait on
    setImmediate(() => {
      try {
        this.devices?.touch(deviceId, new Date(now).toISOString())
      } catch {}
    })
  }
}
