/**
 * The kernel's auth parts, wired together: service token, device registry (SQLite), credentials,
 * pairing codes, the per-request guard, limiters, and live-connection tracking for revocation.
 */
import { join } from 'node:path'
import { ensurePrivateFile, sha256Hex, type PairingService } from '@revka/plugin-sdk'
import type { StatePaths } from '../config/state-dir.js'
import type { GatewaySettings } from '../config/gateway-config.js'
import { loadOrCreateServiceToken } from '../auth/service-token.js'
import { DeviceRegistry } from '../auth/devices.js'
import { Credentials } from '../auth/credentials.js'
import { PairingManager } from '../auth/pairing.js'
import { AuthGuard } from '../auth/guard.js'
import { FailureLimiter, WindowLimiter, type Clock, type SharedFailures } from '../auth/limiter.js'
import { ConnectionTracker } from '../auth/connections.js'
import { assertSafeBind } from '../config/validate-gateway.js'
import { signUrl } from '../auth/signed.js'
import { AuthEvents } from '../audit/auth-events.js'
import type { AuditLog } from '../audit/audit-log.js'
import type { Cluster } from '../cluster/cluster.js'

/** the auth limiter of credential-minting routes (contract §14: 10 attempts a minute, then 5 minutes out) */
export const MINT_ATTEMPTS_PER_MINUTE = 10
export const MINT_LOCKOUT_MS = 300_000

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
  /**
   * The `pairing` kernel service: `pairing` on a single node; in cluster mode the one over
   * PostgreSQL and Redis (kernel/cluster/pairing.ts), set by useCluster before plugins start.
   */
  service: PairingService
  readonly guard: AuthGuard
  /** the routes' `rateLimit`; in cluster mode counted across the nodes (set by useCluster) */
  windowLimiter: WindowLimiter
  readonly connections = new ConnectionTracker()
  readonly authEvents: AuthEvents
  /** `auth-limiter` service: every attempt counts, successes too */
  readonly mintLimiter: FailureLimiter
  /** cluster mode: the auth limiter's attempts counted on every node too */
  private sharedMint?: SharedFailures
  /** the code minted at start when nothing is paired yet (the CLI prints it) */
  startupCode: string | null = null

  /** `clusterMode`: the device registry lives in PostgreSQL, so no SQLite registry is opened */
  constructor(
    paths: StatePaths,
    private readonly settings: GatewaySettings,
    env: NodeJS.ProcessEnv,
    private readonly clock: Clock,
    audit: AuditLog,
    private readonly clusterMode = false,
  ) {
    this.authEvents = new AuthEvents(audit, clock)
    this.mintLimiter = new FailureLimiter(MINT_ATTEMPTS_PER_MINUTE, 60_000, MINT_LOCKOUT_MS, clock, settings.rateLimitMaxKeys)
    this.serviceToken = loadOrCreateServiceToken(paths.serviceTokenFile)
    this.devices = settings.requirePairing && !clusterMode ? new DeviceRegistry(devicesDbPath(paths)) : null
    this.credentials = new Credentials(this.devices, this.serviceToken, env.REVKA_GATEWAY_ADMIN_TOKEN, clock)
    this.credentials.onRevoke((id) => this.connections.revoke(id))
    this.pairing = new PairingManager(
      settings.requirePairing,
      settings.pairingCodeTtlSecs * 1000,
      this.credentials,
      this.devices,
      clock,
      settings.rateLimitMaxKeys,
      this.authEvents,
    )
    this.service = this.pairing
    this.guard = new AuthGuard({
      credentials: this.credentials,
      requirePairing: () => settings.requirePairing,
      serviceToken: this.serviceToken,
      clock,
      pathPrefix: settings.pathPrefix,
      maxKeys: settings.rateLimitMaxKeys,
      audit: this.authEvents,
    })
    this.windowLimiter = new WindowLimiter(clock, settings.rateLimitMaxKeys)
  }

  /** pairing off on a non-loopback host would hand the gateway to anyone who can reach it */
  assertSafeBind(host: string): void {
    // the same check PUT /api/config runs on a new config (config/validate-gateway.ts)
    assertSafeBind(this.settings.requirePairing, host)
  }

  /** devices, pairing codes, lockouts and rate limits shared with the other nodes from here on */
  async useCluster(cluster: Cluster): Promise<void> {
    if (!this.clusterMode) throw new Error('REVKA_ERR_CLUSTER_AUTH: the auth system was built for a single node')
    // before the gatekeeper is installed: it takes this windowLimiter
    await cluster.limits.start()
    this.guard.share(cluster.limits.failures('auth', this.guard.failures))
    this.sharedMint = cluster.limits.failures('mint', this.mintLimiter)
    this.windowLimiter = cluster.limits.window('rate', this.clock, this.settings.rateLimitMaxKeys)
    this.service = await cluster.auth({
      credentials: this.credentials,
      requirePairing: this.settings.requirePairing,
      ttlMs: this.settings.pairingCodeTtlSecs * 1000,
      clock: this.clock,
      maxKeys: this.settings.rateLimitMaxKeys,
      audit: this.authEvents,
    })
    const devices = cluster.devices!
    this.guard.lookupMisses((bearer) => (bearer.length > 512 ? Promise.resolve(false) : devices.lookup(sha256Hex(bearer))))
  }

  async printableCodeOnStart(): Promise<void> {
    if (!this.settings.requirePairing || this.credentials.deviceCount > 0 || this.service.status().code) return
    // in a cluster the nodes start together: each prints the live shared code rather than
    // replacing the one another node just printed
    this.startupCode = this.clusterMode ? ((await this.service.initiate('startup'))?.code ?? null) : await this.service.newCode()
  }

  signUrl(path: string, ttlSecs?: number, subject?: string): string {
    return signUrl(this.serviceToken, this.clock, path, ttlSecs, subject)
  }

  /**
   * One attempt of a credential-minting route: 0 to go ahead, else seconds of lockout left. The
   * service is synchronous, so in cluster mode the shared count is not awaited: a lockout the
   * nodes' attempts add up to reaches every node's limiter a Redis round trip after the attempt
   * that started it (a burst racing it can pass by the attempts in flight).
   */
  mintAttempt(key: string): number {
    const locked = this.mintLimiter.lockedFor(key)
    if (locked > 0) return locked
    this.mintLimiter.fail(key)
    void this.sharedMint?.fail(key)
    return 0
  }

  close(): void {
    this.authEvents.flush()
    this.devices?.close()
  }
}
