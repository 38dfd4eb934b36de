/**
 * What the kernel hands plugins besides routes and hooks: the kernel services (each reachable only
 * by plugins that list it under `requires`) and the read-only `api.gateway` view. Both take the
 * narrow parts of the kernel they read, never the `Kernel` itself (that import made a cycle).
 */
import type { Logger } from 'pino'
import { realpathSync } from 'node:fs'
import { dirname, resolve, sep } from 'node:path'
import {
  KernelServices,
  PLUGIN_API_VERSION,
  type ClusterClaimService,
  type GatewayInfo,
  type WebhookQueueService,
  type SharedSqlService,
  type PluginInfo,
  type PluginManifest,
} from '@revka/plugin-sdk'
import type { AuditLog } from '../audit/audit-log.js'
import type { GatewayConfigStore } from '../config/config-store.js'
import type { StatePaths } from '../config/state-dir.js'
import type { GatewaySettings } from '../config/gateway-config.js'
import type { HookTable } from '../hooks/table.js'
import type { RouteTable } from '../http/route-table.js'
import type { PluginRecord } from '../registry/record.js'
import type { AuthSystem } from './auth-system.js'
import { scopedEnv } from '../registry/plugin-env.js'
import { createStatusService } from './status-service.js'
import { createToolRegistry } from './tool-registry.js'
import { createOpsService } from '../ops/ops-service.js'
import { createChannelRegistry } from './channel-registry.js'
import { routeInfos } from '../http/route-info.js'

export interface KernelServiceDeps {
  configStore: GatewayConfigStore
  auth: Pick<AuthSystem, 'service' | 'connections' | 'mintAttempt'>
  audit: AuditLog
  hooks: HookTable
  log: Logger
  paths: StatePaths
  env: NodeJS.ProcessEnv
  routes: RouteTable
  /** the kernel's global request timeout, ms (a route without its own) */
  timeoutMs: number
  records(): PluginRecord[]
  pluginInfos(): PluginInfo[]
  startedAt: Date
  /** the bound port (0 before listen) */
  port(): number
  version: string
  /** drain and stop the gateway (the CLI's exit, or `Kernel.stop`) */
  shutdown(reason: string): void
  /** PostgreSQL claims in cluster mode, always granted on a single node */
  claims: ClusterClaimService
  /** the shared webhook queue in cluster mode; absent on a single node */
  webhookQueue?: WebhookQueueService
  /** the cluster's PostgreSQL for plugin state; absent on a single node */
  sharedSql?: SharedSqlService
}

export function kernelServices(k: KernelServiceDeps): Record<string, unknown> {
  const status = createStatusService({
    records: k.records,
    pluginInfos: k.pluginInfos,
    hooks: k.hooks,
    startedAt: k.startedAt,
    port: k.port,
    version: k.version,
    pairing: k.auth.service,
  })
  return {
    [KernelServices.config.id]: k.configStore,
    [KernelServices.pairing.id]: k.auth.service,
    [KernelServices.plugins.id]: { list: () => k.pluginInfos() },
    [KernelServices.streams.id]: k.auth.connections,
    [KernelServices.status.id]: status,
    [KernelServices.ops.id]: createOpsService({ paths: k.paths, env: k.env, records: k.records, status }),
    [KernelServices.tools.id]: createToolRegistry(k.hooks, k.log),
    [KernelServices.channels.id]: createChannelRegistry(k.hooks, k.log),
    [KernelServices.audit.id]: k.audit,
    [KernelServices.authLimiter.id]: { attempt: (key: string) => k.auth.mintAttempt(key) },
    [KernelServices.routes.id]: { list: () => routeInfos(k.routes.records, k.timeoutMs, k.records()) },
    [KernelServices.claims.id]: k.claims,
    [KernelServices.webhookQueue.id]: k.webhookQueue,
    [KernelServices.sharedSql.id]: k.sharedSql,
    [KernelServices.control.id]: {
      requestShutdown: (reason: string) => {
        k.audit.record(
          { event_type: 'security_event', action: { command: `gateway.shutdown (${reason})`, risk_level: 'high' } },
          { channel: 'gateway', user_id: null, username: null },
        )
        // answer the request first, then drain
        setTimeout(() => k.shutdown(reason), 50).unref()
      },
    },
  }
}

export interface GatewayInfoDeps {
  mode: 'gateway' | 'daemon'
  settings: Pick<GatewaySettings, 'host' | 'pathPrefix' | 'requirePairing'>
  port(): number
  paths: Pick<StatePaths, 'stateDir' | 'workspaceDir' | 'configFile' | 'logsDir'>
  version: string
  startedAt: Date
  clock(): number
  configStore: Pick<GatewayConfigStore, 'section'>
  env: NodeJS.ProcessEnv
}

/** true when `a` is `b` or inside it (both already resolved) */
const within = (a: string, b: string) => a === b || a.startsWith(b.endsWith(sep) ? b : b + sep)

/**
 * One plugin's `api.gateway`: the environment it declared (kernel/registry/plugin-env.ts), never
 * the state dir's path — its own folder is `api.store.dir`; what it may need to know about the
 * state dir is asked (`stateOverlap`).
 */
export function gatewayInfo(k: GatewayInfoDeps, plugin: { manifest: PluginManifest; options: Record<string, unknown> }): GatewayInfo {
  const section = <T>(name: string) => k.configStore.section(name) as Readonly<T> | undefined
  return Object.freeze({
    mode: k.mode,
    get host() {
      return k.settings.host
    },
    get port() {
      return k.port()
    },
    pathPrefix: k.settings.pathPrefix,
    get requirePairing() {
      return k.settings.requirePairing
    },
    workspaceDir: k.paths.workspaceDir,
    logsDir: k.paths.logsDir,
    version: k.version,
    apiVersion: PLUGIN_API_VERSION,
    startedAt: k.startedAt,
    now: () => k.clock(),
    section,
    env: scopedEnv({ manifest: plugin.manifest, options: plugin.options, section, env: k.env }),
    configPath: (p: string) => resolve(dirname(k.paths.configFile), p),
    stateOverlap(path: string): 'inside' | 'holds' | null {
      let real: string
      let state: string
      try {
        real = realpathSync(path)
        state = realpathSync(k.paths.stateDir)
      } catch {
        return null
      }
      return within(real, state) ? 'inside' : within(state, real) ? 'holds' : null
    },
  })
}
