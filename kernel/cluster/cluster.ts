/**
 * Cluster mode, wired: the engines, the schema, the device mirror with its revocation broadcast,
 * the pairing service over both, the cross-node event bus, and the engines' health. Built by the
 * kernel at boot only when `[cluster]` is configured (settings.ts); everything it loads from npm
 * comes through clients.ts. Losing an engine degrades the node — `/health` reports it and the
 * routes that need it answer 503 — and the node takes up where it was when the engine is back.
 */
import { randomUUID } from 'node:crypto'
import type { HealthSink } from '@revka/plugin-sdk'
import type { Credentials } from '../auth/credentials.js'
import type { Clock } from '../auth/limiter.js'
import type { AuthEvents } from '../audit/auth-events.js'
import type { Logger } from 'pino'
import { closeEngines, openEngines, type Engines, type PgListener } from './clients.js'
import { ClusterClaims } from './claims.js'
import { ClusterWebhookQueue } from './webhook-queue.js'
import { SharedSql } from './shared-sql.js'
import { SharedLimits } from './shared-limits.js'
import { ClusterAudit, ROW_BYTES } from './audit-pg.js'
import type { AuditSettings } from '../audit/settings.js'
import { ClusterDevices, DEVICES_CHANNEL } from './devices-pg.js'
import type { ClusterEventBus } from './event-bus.js'
import { migrate } from './migrations.js'
import { ClusterPairing } from './pairing.js'
import type { ClusterSettings } from './settings.js'

/** how often PostgreSQL is probed for /health (and, while it is down, for its return) */
export const PG_PROBE_MS = 1000
/** the LISTEN connection's reconnect backoff: first try, then doubling up to the cap */
const RELISTEN_MS = 100
const RELISTEN_MAX_MS = 1000

export class Cluster {
  devices?: ClusterDevices
  /** the `cluster-claims` kernel service */
  readonly claims: ClusterClaims
  /** the `webhook-queue` kernel service */
  readonly webhookQueue: ClusterWebhookQueue
  /** the `shared-sql` kernel service: plugins' state on the same PostgreSQL */
  readonly sql: SharedSql
  /** rate limits and lockouts counted in Redis */
  readonly limits: SharedLimits
  /** the one audit chain of all nodes, once the kernel's audit log shares it */
  audit?: ClusterAudit
  private pgUp = true
  private pgError: string | null = null
  private probe?: NodeJS.Timeout
  private reloading?: Promise<void>
  /** a reconnect arrived during a reload, which may have read the table before it: read it again */
  private reloadAgain = false
  private listening?: PgListener
  private closed = false

  private constructor(
    readonly settings: ClusterSettings,
    readonly engines: Engines,
    private readonly log: Logger,
  ) {
    this.claims = new ClusterClaims(engines.pool, settings.nodeId)
    this.webhookQueue = new ClusterWebhookQueue(engines.pool, settings.nodeId, settings.webhookLeaseMs)
    this.sql = new SharedSql(engines.pool, settings.nodeId, (err) => this.lost(err))
    this.limits = new SharedLimits(engines.redis, log)
  }

  /** connect both engines and migrate; a start that cannot reach them fails with a coded error */
  static async open(settings: ClusterSettings, log: Logger): Promise<Cluster> {
    let engines: Engines
    try {
      engines = await openEngines(settings.postgresUrl, settings.redisUrl, (err) => log.warn({ err: err.message }, 'cluster: idle PostgreSQL connection lost'))
    } catch (e) {
      throw new Error(
        `REVKA_ERR_CLUSTER_CONNECT: cannot reach the [cluster] engines (${(e as Error).message}); check cluster.postgres_url and cluster.redis_url`,
        { cause: e },
      )
    }
    const c = new Cluster(settings, engines, log)
    try {
      await migrate(engines.pool, (msg) => log.info({ node: settings.nodeId }, msg))
    } catch (e) {
      await closeEngines(engines)
      throw new Error(`REVKA_ERR_CLUSTER_MIGRATE: the cluster schema could not be applied: ${(e as Error).message}`, { cause: e })
    }
    return c
  }

  /** the device mirror and the pairing service that replaces the single-node one */
  async auth(deps: {
    credentials: Credentials
    requirePairing: boolean
    ttlMs: number
    clock: Clock
    maxKeys: number
    audit?: AuthEvents
  }): Promise<ClusterPairing> {
    const devices = (this.devices = new ClusterDevices(this.engines.pool, deps.credentials, `${this.settings.nodeId}/${randomUUID()}`))
    // LISTEN first, then read the table: a change committed in between is in one or the other
    await this.listen()
    await devices.reload()
    this.probe = setInterval(() => void this.probePg(), PG_PROBE_MS)
    this.probe.unref()
    return new ClusterPairing(
      deps.requirePairing,
      deps.ttlMs,
      deps.credentials,
      devices,
      this.engines.redis,
      deps.clock,
      deps.maxKeys,
      (err) => this.lost(err),
      deps.audit,
      this.limits,
    )
  }

  /** the audit chain on PostgreSQL, bounded like the file log it replaces ([security.audit]) */
  openAudit(s: AuditSettings): ClusterAudit {
    const maxRows = Math.ceil((s.maxBytes * (s.keep + 1)) / ROW_BYTES)
    return (this.audit = new ClusterAudit({ sql: this.sql, nodeId: this.settings.nodeId, signingKey: s.signingKey, maxRows, log: this.log }))
  }

  async attachEvents(bus: ClusterEventBus): Promise<void> {
    await bus.attach(this.engines.redis, this.engines.reader)
  }

  report(sink: HealthSink, bus?: ClusterEventBus): void {
    const id = this.settings.nodeId
    const pgUp = this.pgUp && this.listening !== undefined
    sink.report('cluster:postgres', pgUp ? 'ok' : 'error', pgUp ? `node ${id}` : `node ${id}: ${this.pgError ?? 'revocation listener reconnecting'}`)
    // up once lockouts reach this node again too, not only once commands do
    const status = this.engines.redis.status === 'ready' && !this.limits.listening ? 'lockout subscriber reconnecting' : this.engines.redis.status
    const redisUp = status === 'ready'
    const queued = bus ? `, ${bus.queued} events queued, ${bus.dropped} dropped` : ''
    sink.report('cluster:redis', redisUp ? 'ok' : 'error', redisUp ? `node ${id}${queued}` : `node ${id}: ${status}${queued}`)
    this.audit?.report(sink)
  }

  get healthy(): boolean {
    return this.pgUp && this.engines.redis.status === 'ready'
  }

  /** the LISTEN connection for device changes; on loss it reconnects and the table is read again */
  private async listen(): Promise<void> {
    const l = this.engines.listener()
    l.on('notification', (m) => {
      if (m.channel === DEVICES_CHANNEL && m.payload) this.devices?.applyMessage(m.payload)
    })
    l.on('error', () => this.relisten(l))
    l.on('end', () => this.relisten(l))
    try {
      await l.connect()
      await l.query(`LISTEN ${DEVICES_CHANNEL}`)
    } catch (e) {
      await l.end().catch(() => {})
      throw e
    }
    this.listening = l
  }

  private relisten(l: PgListener): void {
    if (this.listening !== l || this.closed) return
    this.listening = undefined
    void l.end().catch(() => {})
    this.log.warn('cluster: lost the PostgreSQL LISTEN connection; reconnecting')
    const retry = (delay: number) =>
      setTimeout(async () => {
        if (this.closed) return
        try {
          await this.listen()
          this.reload('revocation listener reconnected')
        } catch {
          retry(Math.min(delay * 2, RELISTEN_MAX_MS))
        }
      }, delay).unref()
    retry(RELISTEN_MS)
  }

  private lost(err: Error): void {
    if (this.pgUp) this.log.warn({ err: err.message }, 'cluster: an engine call failed; the route answered 503')
    void this.probePg()
  }

  private async probePg(): Promise<void> {
    try {
      await this.engines.pool.query('SELECT 1')
      if (!this.pgUp) {
        this.pgUp = true
        this.pgError = null
        this.log.info('cluster: PostgreSQL is back')
        this.reload('postgres reconnected')
      }
    } catch (e) {
      if (this.pgUp) this.log.error({ err: (e as Error).message }, 'cluster: PostgreSQL unreachable; the node is degraded')
      this.pgUp = false
      this.pgError = (e as Error).message
    }
  }

  /** reload the device table; failures are left to the next reconnect or probe */
  private reload(why: string): void {
    if (!this.devices) return
    if (this.reloading) {
      this.reloadAgain = true
      return
    }
    this.reloading = this.devices
      .reload()
      .then(() => this.log.info({ why }, 'cluster: device registry reloaded'))
      .catch((e) => this.log.warn({ why, err: (e as Error).message }, 'cluster: device reload failed'))
      .finally(() => {
        this.reloading = undefined
        if (this.reloadAgain) {
          this.reloadAgain = false
          this.reload(why)
        }
      })
  }

  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.probe)
    // what the node still holds goes to the chain before the pool closes
    await this.audit?.close()
    await this.limits.close()
    await this.listening?.end().catch(() => {})
    await closeEngines(this.engines)
  }
}
