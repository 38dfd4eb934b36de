/**
 * Routes of plugins enabled while the gateway runs (`revka plugins enable`). Fastify cannot add a
 * route once it listens (nor remove one), so a plugin enabled at runtime gets a Fastify instance of
 * its own — built like the main one (the same global layers, the same gatekeeper, the same
 * mounting), never listening — and the kernel owns the server's entry points: its `request` and
 * `upgrade` listeners ask each such instance's router first (`findRoute`, Fastify's own matcher)
 * and hand everything else to the main instance. While no plugin was enabled at runtime the entry
 * costs one size check; each runtime-enabled plugin adds one router lookup until the next start,
 * which mounts it on the main instance like any other.
 *
 * Disabling needs none of this: the gatekeeper answers a route whose plugin is disabled (503
 * `plugin_disabled` while it drains, 404 once its routes are disposed), wherever it is mounted.
 */
import { EventEmitter } from 'node:events'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyInstance } from 'fastify'

export interface RuntimeApp {
  app: FastifyInstance
  /** where this instance's @fastify/websocket listens for upgrades (its `server` option) */
  upgrades: EventEmitter
}

export class RuntimeRoutes {
  /** where the main instance's @fastify/websocket listens: the kernel decides which upgrade is its */
  readonly mainUpgrades = new EventEmitter()
  private readonly apps = new Map<string, RuntimeApp>()
  private main?: FastifyInstance

  /** Take over the server's entry points (after boot; the main instance's routes are all mounted). */
  attach(main: FastifyInstance, server: Server): void {
    this.main = main
    server.removeAllListeners('request')
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.routing(req, res))
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const target = this.match(req)?.upgrades ?? this.mainUpgrades
      // nobody listening (the instance is closing): end it, as Node does with no upgrade listener
      if (!target.emit('upgrade', req, socket, head)) socket.destroy()
    })
  }

  /** The one request entry (the TCP server's and the admin socket's). */
  routing(req: IncomingMessage, res: ServerResponse): void {
    const late = this.match(req)
    ;(late?.app ?? this.main!).routing(req, res)
  }

  private match(req: IncomingMessage): RuntimeApp | undefined {
    if (!this.apps.size) return undefined
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    for (const late of this.apps.values()) {
      try {
        if (late.app.findRoute({ method: req.method as 'GET', url: path })) return late
      } catch {
        // a path the router cannot read (a malformed escape): the main instance refuses it
      }
    }
    return undefined
  }

  /** A fresh pair of upgrade channel and instance for one plugin; `build` mounts its routes. */
  async add(pluginId: string, build: (upgrades: EventEmitter) => Promise<FastifyInstance>): Promise<void> {
    await this.remove(pluginId)
    const upgrades = new EventEmitter()
    const app = await build(upgrades)
    await app.ready()
    this.apps.set(pluginId, { app, upgrades })
  }

  has(pluginId: string): boolean {
    return this.apps.has(pluginId)
  }

  /** Forget a plugin's instance: what it served falls through to the main instance (404). */
  async remove(pluginId: string): Promise<void> {
    const late = this.apps.get(pluginId)
    if (!late) return
    this.apps.delete(pluginId)
    await late.app.close().catch(() => {})
  }

  async close(): Promise<void> {
    for (const id of [...this.apps.keys()]) await this.remove(id)
  }
}
