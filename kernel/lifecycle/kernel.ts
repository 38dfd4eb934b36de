/**
 * The kernel: discovers, checks, orders, starts and stops plugins; owns the HTTP server, the auth
 * surfaces and the limits. It never imports a plugin by name — only what discovery finds.
 */
import 'reflect-metadata'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { PLUGIN_API_VERSION, sha256Hex, type GatewayInfo, type PluginInfo, type ServiceRef } from '@revka/plugin-sdk'
import { ensureStateDirs, resolveStatePaths, stateDirModeProblems, type StatePaths } from '../config/state-dir.js'
import { migrateLegacyState } from '../config/migrate-state.js'
import type { GatewaySettings } from '../config/gateway-config.js'
import type { GatewayConfigStore } from '../config/config-store.js'
import { configureLogRotation, createLogger, flushLog } from '../log/logger.js'
import { createHookTable, scopedTaps, type HookTable } from '../hooks/table.js'
import type { PluginsFile } from '../registry/plugins-file.js'
import { JITI_CACHE_SUBDIR } from '../registry/loader.js'
import type { PluginRecord } from '../registry/record.js'
import { RouteTable } from '../http/route-table.js'
import { openFrontDoor } from '../http/front-door.js'
import { adminSocketPath, openAdminSocket, type AdminSocket } from '../http/admin-socket.js'
import { mountRoute, WsKeepalive } from '../http/mount.js'
import { RuntimeRoutes } from '../http/runtime-routes.js'
import { buildPluginApp } from '../http/plugin-app.js'
import type { GatekeeperDeps, ProviderCheck } from '../http/gatekeeper.js'
import { PluginSwitch, switchAudit } from './plugin-switch.js'
import { KERNEL_OWNER, pluginSwitchRoutes } from './admin-plugin-routes.js'
import { AuthSystem } from './auth-system.js'
import { AuditLog } from '../audit/audit-log.js'
import { auditSettings } from '../audit/settings.js'
import { DaemonLock } from './daemon-lock.js'
import { gatewayInfo, kernelServices } from './kernel-services.js'
import { KernelEventBus } from '../events/bus.js'
import type { ClusterSettings } from '../cluster/settings.js'
import { ClusterEventBus } from '../cluster/event-bus.js'
import { Cluster } from '../cluster/cluster.js'
import { SINGLE_NODE_CLAIMS } from '../cluster/claims.js'
import { loadKernelConfig, type KernelOptions } from './kernel-config.js'
import { KERNEL_SERVICE_NAMES, PluginHost } from './plugin-host.js'

export type { KernelOptions } from './kernel-config.js'

const KERNEL_DIR = dirname(dirname(fileURLToPath(import.meta.url)))
export const PROJECT_ROOT = resolve(KERNEL_DIR, '..')
export const KERNEL_VERSION: string = PLUGIN_API_VERSION

export class Kernel {
  readonly paths: StatePaths
  readonly env: NodeJS.ProcessEnv
  readonly mode: 'gateway' | 'daemon'
  readonly clock: () => number
  readonly log: Logger
  readonly hooks: HookTable
  readonly routes = new RouteTable()
  readonly events: KernelEventBus
  readonly configStore: GatewayConfigStore
  readonly settings: GatewaySettings
  readonly pluginsFile: PluginsFile
  readonly startedAt = new Date()
  auth!: AuthSystem
  /** `[cluster]`: null on a single node (the default); the engines are opened by boot() */
  readonly clusterSettings: ClusterSettings | null
  cluster?: Cluster
  /** the audit log (§18): this process's one writer, shared by the kernel, plugins and the CLI's */
  readonly audit: AuditLog
  app!: FastifyInstance
  private readonly host: PluginHost
  private keepalive?: WsKeepalive
  private providerCheck?: ProviderCheck
  private listening = false
  private pluginsStarted = false
  private adminSocket?: AdminSocket
  private stopping?: Promise<void>
  /** the server's entry: routes of plugins enabled at runtime first, then the main instance */
  readonly runtimeRoutes = new RuntimeRoutes()
  /** `revka plugins enable|disable` on the running gateway (POST /admin/plugins/:id/…) */
  plugins!: PluginSwitch
  private gatekeeperDeps!: GatekeeperDeps
  /** `revka daemon` only: one daemon per state dir, so no cron job fires twice */
  private daemonLock?: DaemonLock
  boundPort = 0
  /** the CLI sets this so a requested shutdown also exits the process */
  onShutdownRequested?: (reason: string) => void

  constructor(readonly opts: KernelOptions = {}) {
    this.env = opts.env ?? process.env
    this.mode = opts.mode ?? 'gateway'
    this.clock = opts.clock ?? Date.now
    this.paths = resolveStatePaths({ stateDir: opts.stateDir, env: this.env })
    ensureStateDirs(this.paths)
    this.log = createLogger({ level: opts.logLevel, logsDir: this.paths.logsDir, stdout: opts.logStdout })
    // before anything opens them: state an older version kept inside the served workspace moves out
    migrateLegacyState(this.paths, this.log)
    for (const p of stateDirModeProblems(this.paths)) this.log.warn({ stateDir: p.path, mode: p.mode.toString(8) }, p.message)
    this.hooks = createHookTable((pluginId, hook, err) => {
      this.log.error({ plugin: pluginId, hook, err: err.message }, `REVKA_ERR_HOOK_TAP: plugin ${pluginId} failed in hook "${hook}"`)
      const r = this.records.find((x) => x.id === pluginId)
      r?.noteError(`hook ${hook}: ${err.message}`)
    })
    const config = loadKernelConfig(this.paths, this.env, opts)
    this.clusterSettings = config.clusterSettings
    this.configStore = config.configStore
    this.settings = config.settings
    this.pluginsFile = config.pluginsFile
    const onSubscriberError = (err: Error) => this.log.error({ err: err.message }, 'REVKA_ERR_EVENT_SUBSCRIBER: an event subscriber threw')
    this.events = this.clusterSettings ? new ClusterEventBus(onSubscriberError, this.clusterSettings.eventReplay) : new KernelEventBus(onSubscriberError)
    configureLogRotation(this.log, { maxBytes: this.settings.logMaxBytes, keep: this.settings.logKeep })
    // a bad [security.audit] or signing key refuses the start (the reference runs unaudited)
    this.audit = new AuditLog({
      kernelDir: this.paths.kernelDir,
      settings: auditSettings(this.configStore.section('security'), this.env),
      clock: this.clock,
      log: this.log,
    })
    this.host = new PluginHost({
      hooks: this.hooks,
      routes: this.routes,
      log: this.log,
      listening: () => this.listening,
      gatewayInfo: (r) => this.gatewayInfo(r),
      pluginsStateDir: this.paths.pluginsStateDir,
      signUrl: (path, ttl, subject) => this.auth.signUrl(path, ttl, subject),
      events: this.events,
      audit: this.audit,
      phases: {
        log: this.log,
        defaultTimeoutMs: opts.startTimeoutMs ?? 10_000,
        projectRoot: PROJECT_ROOT,
        jitiCacheDir: join(this.paths.stateDir, JITI_CACHE_SUBDIR),
      },
    })
  }

  get port(): number {
    return this.boundPort
  }
  get version(): string {
    return KERNEL_VERSION
  }
  get url(): string {
    const h = this.settings.host.includes(':') ? `[${this.settings.host}]` : this.settings.host
    return `${this.settings.tls ? 'https' : 'http'}://${h === '0.0.0.0' ? '127.0.0.1' : h}:${this.boundPort}${this.settings.pathPrefix}`
  }

  get records(): PluginRecord[] {
    return this.host.records
  }

  pluginInfos(): PluginInfo[] {
    return this.records.map((r) => r.info())
  }

  /** discover → check → import → setup → register routes; does not open the port */
  async boot(): Promise<void> {
    if (this.mode === 'daemon') this.daemonLock = DaemonLock.acquire(this.paths.kernelDir)
    if (this.clusterSettings) this.cluster = await Cluster.open(this.clusterSettings, this.log)
    this.auth = new AuthSystem(this.paths, this.settings, this.env, this.clock, this.audit, this.cluster !== undefined)
    if (this.cluster)
      await this.joinCluster(this.cluster).catch(async (e) => {
        await this.cluster!.close()
        throw e
      })
    const door = await openFrontDoor({
      timeoutMs: this.settings.timeoutMs,
      log: this.log,
      tls: this.settings.tls,
      configDir: dirname(this.paths.configFile),
      prefix: this.settings.pathPrefix,
      upgrades: this.runtimeRoutes.mainUpgrades,
      hasFallback: () => this.routes.active().some((r) => r.decl.fallback),
      gatekeeper: (this.gatekeeperDeps = {
        guard: this.auth.guard,
        limiter: this.auth.windowLimiter,
        hooks: this.hooks,
        log: this.log,
        trustForwarded: this.settings.trustForwardedHeaders,
        allowedOrigins: this.settings.allowedOrigins,
        timeoutMs: this.settings.timeoutMs,
        pluginStatus: (id) => this.host.get(id)?.status ?? (id === KERNEL_OWNER ? 'started' : 'missing'),
        pluginOptions: (id) => this.host.get(id)?.options ?? {},
        forbiddenSecret: (s) => this.auth.credentials.verifyService(s) || this.auth.credentials.verifyBearer(s) !== null,
        env: this.env,
        closing: () => this.stopping !== undefined,
        adminOnlyOnSocket: this.settings.adminOnlyOnSocket,
      }),
    })
    this.app = door.app
    this.providerCheck = door.providerCheck
    this.keepalive = new WsKeepalive()

    this.host.resolve({
      file: this.pluginsFile,
      builtinDir: this.opts.builtinDir === undefined ? join(PROJECT_ROOT, 'plugins') : this.opts.builtinDir,
      projectRoot: PROJECT_ROOT,
      extraPaths: this.opts.extraPaths ?? [],
      mode: this.mode,
      only: this.opts.only,
      options: this.opts.options,
      nodeModules: this.opts.nodeModules,
    })
    this.registerKernelServices()
    await this.host.setUpAll()
    this.plugins = new PluginSwitch(this.switchHost())
    for (const d of pluginSwitchRoutes(this.plugins, (t) => this.auth.credentials.verifyService(t))) this.host.addKernelRoute(this.routes.add(KERNEL_OWNER, d))
    this.mountAll()
    this.runtimeRoutes.attach(this.app, this.app.server)
    // longer per-route timeouts (uploads) need the socket-level cap raised; each route keeps its own
    const longest = Math.max(this.settings.timeoutMs, ...this.routes.active().map((r) => r.timeoutMs ?? 0))
    this.app.server.requestTimeout = longest
    this.host.abortOnEssentialFailure()
  }

  private registerKernelServices(): void {
    const services = kernelServices({
      configStore: this.configStore,
      auth: this.auth,
      audit: this.audit,
      hooks: this.hooks,
      log: this.log,
      paths: this.paths,
      env: this.env,
      routes: this.routes,
      timeoutMs: this.settings.timeoutMs,
      records: () => this.records,
      pluginInfos: () => this.pluginInfos(),
      startedAt: this.startedAt,
      port: () => this.boundPort,
      version: this.version,
      shutdown: (reason) => (this.onShutdownRequested ?? ((r: string) => void this.stop(r)))(reason),
      claims: this.cluster?.claims ?? SINGLE_NODE_CLAIMS,
      webhookQueue: this.cluster?.webhookQueue,
      sharedSql: this.cluster?.sql,
    })
    this.host.provideKernelServices(services)
  }

  /**
   * A service a started plugin provides, for in-process CLI commands (`revka onboard` makes its
   * test call through the agent runtime); undefined when no enabled plugin provides it.
   */
  service<T>(ref: ServiceRef<T>): T | undefined {
    return this.host.service(ref)
  }

  private mountAll(): void {
    for (const rec of this.host.takePending())
      mountRoute(this.app, rec, {
        prefix: this.settings.pathPrefix,
        connections: this.auth.connections,
        keepalive: this.keepalive!,
        log: this.log,
        providerCheck: this.providerCheck!,
      })
  }

  /** the plugin's own view: the env it declared, no state dir */
  private gatewayInfo(r: PluginRecord): GatewayInfo {
    return gatewayInfo(
      {
        mode: this.mode,
        settings: this.settings,
        port: () => this.boundPort,
        paths: this.paths,
        version: this.version,
        startedAt: this.startedAt,
        clock: this.clock,
        configStore: this.configStore,
        env: this.env,
      },
      { manifest: r.manifest!, options: r.options },
    )
  }

  /** open the port, then start plugins wave by wave (their routes answer 503 until started) */
  async listen(): Promise<string> {
    this.auth.assertSafeBind(this.settings.host)
    await this.app.listen({ host: this.settings.host, port: this.settings.port })
    this.listening = true
    const addr = this.app.server.address()
    this.boundPort = typeof addr === 'object' && addr ? addr.port : this.settings.port
    if (this.settings.adminSocket) {
      this.adminSocket = await openAdminSocket(this.app, adminSocketPath(this.settings.adminSocket, this.paths.configFile), {
        timeoutMs: this.settings.timeoutMs,
        log: this.log,
        routing: (req, res) => this.runtimeRoutes.routing(req, res),
      })
    }
    await this.startPlugins()
    return this.url
  }

  /**
   * Start plugins wave by wave; `listen()` does it after opening the port. Called alone it opens
   * nothing (the test harness's `listen: false`: requests arrive through `app.inject`), and a later
   * `listen()` only opens the port. The ready hook then sees port 0 in its URL.
   */
  async startPlugins(): Promise<void> {
    if (this.pluginsStarted) return
    this.pluginsStarted = true
    this.listening = true
    await this.host.startAll()
    await this.auth.printableCodeOnStart()
  }

  async start(): Promise<string> {
    await this.boot()
    return this.listen()
  }

  /** stop accepting, drain (bounded), end streams, stop plugins in reverse order */
  stop(reason = 'shutdown'): Promise<void> {
    this.stopping ??= this.doStop(reason)
    return this.stopping
  }

  private async doStop(reason: string): Promise<void> {
    this.log.debug({ reason }, 'stopping')
    const drainMs = this.opts.drainMs ?? 10_000
    this.auth?.connections.shutdownAll()
    const adminClosed = this.adminSocket?.close()
    if (this.app) {
      const closing = this.app.close()
      const timer = setTimeout(() => this.app.server.closeAllConnections(), drainMs)
      timer.unref()
      await closing.catch((e) => this.log.warn({ err: e }, 'server close failed'))
      clearTimeout(timer)
    }
    await this.runtimeRoutes.close()
    await adminClosed
    await this.host.stopAll()
    this.keepalive?.stop()
    this.auth?.close()
    if (this.events instanceof ClusterEventBus) this.events.stop()
    await this.cluster?.close()
    this.audit.close()
    this.log.flush?.()
    this.app?.revkaClientErrors?.flush()
    flushLog(this.log)
    this.daemonLock?.release()
  }

  /** what enabling and disabling at runtime needs of the kernel (kernel/lifecycle/plugin-switch.ts) */
  private switchHost(): import('./plugin-switch.js').SwitchHost {
    const mountDeps = () => ({
      timeoutMs: this.settings.timeoutMs,
      log: this.log,
      prefix: this.settings.pathPrefix,
      gatekeeper: this.gatekeeperDeps,
      connections: this.auth.connections,
      keepalive: this.keepalive!,
    })
    return {
      log: this.log,
      mode: this.mode,
      records: () => this.records,
      routesOf: (id) => this.routes.active().filter((x) => x.pluginId === id),
      kernelServiceNames: KERNEL_SERVICE_NAMES,
      phases: this.host.phases,
      drainMs: this.opts.drainMs ?? 10_000,
      pluginsFilePath: this.opts.pluginsDoc ? undefined : this.pluginsFile.path,
      extraOptions: (id) => this.opts.options?.[id],
      setup: (r) => this.host.setupAtRuntime(r),
      mount: async (r, routes) => {
        if (!routes.length) return
        await this.runtimeRoutes.add(r.id, (upgrades) => buildPluginApp(routes, upgrades, mountDeps()))
        // a longer per-route timeout needs the socket-level cap raised, as at start
        this.app.server.requestTimeout = Math.max(this.app.server.requestTimeout, ...routes.map((x) => x.timeoutMs ?? 0))
      },
      unmount: (r) => this.runtimeRoutes.remove(r.id),
      endConnections: (id) => this.auth.connections.endPlugin(id),
      started: (r) => this.host.adopt(r),
      audit: switchAudit(this.audit),
    }
  }

  /** devices, pairing codes, the event bus and /health over the cluster's engines */
  private async joinCluster(cluster: Cluster): Promise<void> {
    // from here on every node appends to one chain on PostgreSQL; this node's file log stays as it was
    if (this.audit.enabled) this.audit.share(cluster.openAudit(this.audit.opts.settings))
    await this.auth.useCluster(cluster)
    const bus = this.events as ClusterEventBus
    await cluster.attachEvents(bus)
    // through the table's registry, so a rebuild of the health hook (a plugin's tap disposed) keeps it
    scopedTaps(this.hooks, 'kernel:cluster', (d) => d).health.tap((sink) => cluster.report(sink, bus))
    this.log.info({ node: cluster.settings.nodeId }, 'cluster mode: state on PostgreSQL, bus on Redis')
  }

  /** sha256 of a token, for tests that grep the state dir */
  static hashToken(t: string): string {
    return sha256Hex(t)
  }
}
