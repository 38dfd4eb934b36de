/**
 * The gateway's one server, in the order its hooks must be installed: Fastify (HTTP or HTTPS), the
 * WebSocket upgrade handling, the reserved-path fallback, then the gatekeeper that authenticates,
 * limits and checks origins before any route runs. The kernel mounts routes on it afterwards.
 */
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { EventEmitter } from 'node:events'
import type { TlsSettings } from '../config/gateway-config.js'
import { createServer } from './server.js'
import { httpsSetup } from './tls.js'
import { installGatekeeper, type GatekeeperDeps, type ProviderCheck } from './gatekeeper.js'
import { installUnmatched } from './unmatched.js'
import { websocketOptions } from './plugin-app.js'

export interface FrontDoorOptions {
  timeoutMs: number
  log: Logger
  tls?: TlsSettings | null
  /** relative PEM paths are taken from config.toml's folder */
  configDir: string
  prefix: string
  /** where upgrades meant for the main instance arrive (kernel/http/runtime-routes.ts) */
  upgrades: EventEmitter
  hasFallback: () => boolean
  gatekeeper: GatekeeperDeps
}

export async function openFrontDoor(o: FrontDoorOptions): Promise<{ app: FastifyInstance; providerCheck: ProviderCheck }> {
  const app = createServer({ timeoutMs: o.timeoutMs, log: o.log, https: o.tls ? httpsSetup(o.tls, o.configDir) : undefined })
  await app.register((await import('@fastify/websocket')).default, { options: websocketOptions(o.upgrades) as any })
  // before the gatekeeper: its hook takes the reserved paths back from the fallback route first
  installUnmatched(app, { prefix: o.prefix, hasFallback: o.hasFallback })
  const { providerCheck } = installGatekeeper(app, o.gatekeeper)
  return { app, providerCheck }
}
