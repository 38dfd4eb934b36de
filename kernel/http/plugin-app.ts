/**
 * The Fastify instance of one plugin enabled at runtime (kernel/http/runtime-routes.ts): the same
 * global layers as the main instance (createServer), the same WebSocket options, the same root
 * hooks (installGatekeeper with the main instance's deps) and the same mounting, so a route answers
 * exactly as it would have had it been mounted at start. It never listens: the kernel's entry hands
 * it the requests and upgrades its router matches.
 */
import type { EventEmitter } from 'node:events'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { ConnectionTracker } from '../auth/connections.js'
import { createServer } from './server.js'
import { installGatekeeper, type GatekeeperDeps } from './gatekeeper.js'
import { mountRoute, type WsKeepalive } from './mount.js'
import type { RouteRecord } from './route-table.js'

export const WS_MAX_PAYLOAD = 1024 * 1024

/** @fastify/websocket's options, for the main instance and every plugin instance alike */
export function websocketOptions(server: EventEmitter) {
  return {
    // the kernel's entry (runtime-routes.ts) emits the upgrades meant for this instance here
    server,
    maxPayload: WS_MAX_PAYLOAD,
    handleProtocols: (protocols: Set<string>, req: any) => (req.revkaSubprotocol && protocols.has(req.revkaSubprotocol) ? req.revkaSubprotocol : false),
  }
}

export interface PluginAppDeps {
  timeoutMs: number
  log: Logger
  prefix: string
  gatekeeper: GatekeeperDeps
  connections: ConnectionTracker
  keepalive: WsKeepalive
}

export async function buildPluginApp(routes: RouteRecord[], upgrades: EventEmitter, deps: PluginAppDeps): Promise<FastifyInstance> {
  const app = createServer({ timeoutMs: deps.timeoutMs, log: deps.log })
  await app.register((await import('@fastify/websocket')).default, { options: websocketOptions(upgrades) as any })
  const { providerCheck } = installGatekeeper(app, deps.gatekeeper)
  for (const rec of routes)
    mountRoute(app, rec, { prefix: deps.prefix, connections: deps.connections, keepalive: deps.keepalive, log: deps.log, providerCheck })
  return app
}
