/**
 * What the kernel hands plugins besides routes and hooks: the kernel services (each reachable only
 * by plugins that list it under `requires`) and the read-only `api.gateway` view.
 */
import { KernelServices, PLUGIN_API_VERSION, type GatewayInfo } from '@revka/plugin-sdk'
import type { Kernel } from './kernel.js'
import { createStatusService } from './status-service.js'
import { createToolRegistry } from './tool-registry.js'
import { createOpsService } from '../ops/ops-service.js'
import { createChannelRegistry } from './channel-registry.js'
import { routeInfos } from '../http/route-info.js'

export function kernelServices(k: Kernel): Record<string, unknown> {
  const status = createStatusService(k)
  return {
    [KernelServices.config.id]: k.configStore,
    [KernelServices.pairing.id]: k.auth.pairing,
    [KernelServices.plugins.id]: { list: () => k.pluginInfos() },
    [KernelServices.streams.id]: k.auth.connections,
    [KernelServices.status.id]: status,
    [KernelServices.ops.id]: createOpsService({ paths: k.paths, env: k.env, records: () => k.records, status }),
    [KernelServices.tools.id]: createToolRegistry(k.hooks, k.log),
    [KernelServices.channels.id]: createChannelRegistry(k.hooks, k.log),
    [KernelServices.audit.id]: k.audit,
    [KernelServices.authLimiter.id]: { attempt: (key: string) => k.auth.mintAttempt(key) },
    [KernelServices.routes.id]: { list: () => routeInfos(k.routes.records, k.settings.timeoutMs, k.records) },
    [KernelServices.control.id]: {
      requestShutdown: (reason: string) => {
        k.audit.record({ event_type: 'security_event', action: { command: `gateway.shutdown (${reason})`, risk_level: 'high' } }, { channel: 'gateway', user_id: null, username: null })
        // answer the request first, then drain
        setTimeout(() => (k.onShutdownRequested ?? ((r: string) => void k.stop(r)))(reason), 50).unref()
      },
    },
  }
}

export function gatewayInfo(k: Kernel): GatewayInfo {
  return Object.freeze({
    mode: k.mode,
    get host() { return k.settings.host },
    get port() { return k.boundPort },
    pathPrefix: k.settings.pathPrefix,
    get requirePairing() { return k.settings.requirePairing },
    stateDir: k.paths.stateDir,
    workspaceDir: k.paths.workspaceDir,
    version: k.version,
    apiVersion: PLUGIN_API_VERSION,
    startedAt: k.startedAt,
    now: () => k.clock(),
    section: <T>(name: string) => k.configStore.section(name) as Readonly<T> | undefined,
    env: (name: string) => k.env[name],
  })
}
