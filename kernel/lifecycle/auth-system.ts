/**
 * The kernel's auth parts, wired together: service token, device registry (SQLite), credentials,
 * pairing codes, the per-request guard, limiters, and live-connection tracking for revocation.
 */
import { join } from 'node:path'
import { ensurePrivateFile } from '@revka/plugin-sdk'
import type { StatePaths } from '../config/state-dir.js'
import type { GatewaySettings } from '../config/gateway-config.js'
import { loadOrCreateServiceToken } from '../auth/service-token.js'
import { DeviceRegistry } from '../auth/devices.js'
import { Credentials } from '../auth/credentials.js'
import { PairingManager } from '../auth/pairing.js'
import { AuthGuard } from '../auth/guard.js'
import { WindowLimiter, type Clock } from '../auth/limiter.js'
import { ConnectionTracker } from '../auth/connections.js'
import { assertSafeBind } from '../config/validate-gateway.js'
import { signUrl } from '../auth/signed.js'

/**
 * `<state>/kernel/devices.db` — outside the served workspace (token hashes are never signable),
 * created 0600 before SQLite opens it so its -wal and -shm are 0600 too, whatever the umask.
 */
export function devicesDbPath(paths: StatePaths): string {
  const path = join(paths.kernelDir, 'devices.db')
  ensurePrivateFile(path)
  return path
}

export class AuthSystem {
  readonly serviceToken: string
  readonly devices: DeviceRegistry | null
  readonly credentials: Credentials
  readonly pairing: PairingManager
  readonly guard: AuthGuard
  readonly windowLimiter: WindowLimiter
  readonly connections = new ConnectionTracker()
  /** the code minted at start when nothing is paired yet (the CLI prints it) */
  startupCode: string | null = null

  constructor(paths: StatePaths, private readonly settings: GatewaySettings, env: NodeJS.ProcessEnv, private readonly clock: Clock) {
    this.serviceToken = loadOrCreateServiceToken(paths.serviceTokenFile)
    this.devices = settings.requirePairing ? new DeviceRegistry(devicesDbPath(paths)) : null
    this.credentials = new Credentials(this.devices, this.serviceToken, env.REVKA_GATEWAY_ADMIN_TOKEN, clock)
    this.credentials.onRevoke((id) => this.connections.revoke(id))
    this.pairing = new PairingManager(settings.requirePairing, settings.pairingCodeTtlSecs * 1000, this.credentials, this.devices, clock, settings.rateLimitMaxKeys)
    this.guard = new AuthGuard({
      credentials: this.credentials,
      requirePairing: () => settings.requirePairing,
      serviceToken: this.serviceToken,
      clock,
      pathPrefix: settings.pathPrefix,
      maxKeys: settings.rateLimitMaxKeys,
    })
    this.windowLimiter = new WindowLimiter(clock, settings.rateLimitMaxKeys)
  }

  /** pairing off on a non-loopback host would hand the gateway to anyone who can reach it */
  assertSafeBind(host: string): void {
    // the same check PUT /api/config runs on a new config (config/validate-gateway.ts)
    assertSafeBind(this.settings.requirePairing, host)
  }

  printableCodeOnStart(): void {
    if (this.settings.requirePairing && this.credentials.deviceCount === 0 && !this.pairing.status().code) {
      this.startupCode = this.pairing.newCode()
    }
  }

  signUrl(path: string, ttlSecs?: number, subject?: string): string {
    return signUrl(this.serviceToken, this.clock, path, ttlSecs, subject)
  }

  close(): void {
    this.devices?.close()
  }
}
