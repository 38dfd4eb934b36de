/**
 * Registering a checked RouteRecord on Fastify: HTTP routes get the dispatch wrapper, WebSocket
 * routes get keep-alive pings and connection tracking (so revocation and shutdown can close them).
 */
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { WebSocket } from 'ws'
import type { RevkaSocket, WebSocketHandler, RouteHandler } from '@revka/plugin-sdk'
import type { ConnectionTracker } from '../auth/connections.js'
import { ReplyView, sendResult, toRevkaRequest } from './dispatch.js'
import type { RouteRecord } from './route-table.js'
import { routeConfig } from './route-policy.js'
import type { ProviderCheck } from './gatekeeper.js'
import { isThenable } from '../util/thenable.js'
import { fallbackUrl } from './unmatched.js'
import { guardSocket, ListenerFailureLog } from './ws-guard.js'

export const WS_PING_MS = 30_000
/** the close code of a WebSocket whose plugin was disabled at runtime (`revka plugins disable`) */
export const PLUGIN_DISABLED_CLOSE = 4404

/** One interval pings every socket; a socket that missed the previous pong is terminated. */
export class WsKeepalive {
  private sockets = new Map<WebSocket, boolean>()
  private timer: NodeJS.Timeout
  constructor(intervalMs = WS_PING_MS) {
    this.timer = setInterval(() => {
      for (const [ws, alive] of this.sockets) {
        if (!alive) {
          ws.terminate()
          this.sockets.delete(ws)
          continue
        }
        this.sockets.set(ws, false)
        try {
          ws.ping()
        } catch {}
      }
    }, intervalMs)
    this.timer.unref()
  }
  add(ws: WebSocket): void {
    this.sockets.set(ws, true)
    ws.on('pong', () => {
      if (this.sockets.has(ws)) this.sockets.set(ws, true)
    })
    ws.once('close', () => this.sockets.delete(ws))
  }
  stop(): void {
    clearInterval(this.timer)
  }
}

export interface MountDeps {
  prefix: string
  connections: ConnectionTracker
  keepalive: WsKeepalive
  log: Logger
  providerCheck: ProviderCheck
}

/** one failure log per kernel (its logger): the rate limit is over all routes of the gateway */
const listenerFailureLogs = new WeakMap<Logger, ListenerFailureLog>()

export function mountRoute(app: FastifyInstance, rec: RouteRecord, deps: MountDeps): void {
  const url = deps.prefix + rec.url
  if (rec.decl.websocket) {
    let failures = listenerFailureLogs.get(deps.log)
    if (!failures) listenerFailureLogs.set(deps.log, (failures = new ListenerFailureLog(deps.log)))
    const failureLog = failures
    app.route({
      method: 'GET',
      url,
      config: routeConfig(rec),
      websocket: true,
      handler: ((socket: WebSocket, request: any) => {
        const untrack = deps.connections.add(
          request.revkaAuth?.credentialId,
          {
            revoke: () => socket.close(4401, 'token revoked'),
            shutdown: () => socket.close(1001, 'gateway shutting down'),
            // 4404, not 1001: the endpoint is gone, not the gateway; a client should not reconnect here
            pluginDisabled: () => socket.close(PLUGIN_DISABLED_CLOSE, `plugin ${rec.pluginId} disabled`),
          },
          rec.pluginId,
        )
        socket.once('close', untrack)
        deps.keepalive.add(socket)
        const handler = rec.decl.handler as WebSocketHandler
        // the plugin's listeners may throw; the kernel's own (above) stay on the raw socket
        const guarded = guardSocket(socket, (event, err) => failureLog.note({ plugin: rec.pluginId, route: rec.url, event, err }))
        Promise.resolve()
          .then(() => handler(guarded as unknown as RevkaSocket, toRevkaRequest(request, rec)))
          .catch((err) => {
            // the same rate-limited line as a listener's failure: a client can cause it per socket
            failureLog.note({ plugin: rec.pluginId, route: rec.url, event: 'handler', err })
            try {
              socket.close(1011, 'handler failed')
            } catch {}
          })
      }) as any,
    } as any)
    return
  }
  app.route({
    method: rec.methods,
    url: rec.decl.fallback ? fallbackUrl(deps.prefix) : url,
    bodyLimit: rec.bodyLimit,
    config: routeConfig(rec),
    schema: rec.decl.schema as any,
    // the signature check runs once the raw body is read, before the handler
    ...(rec.auth.provider ? { preHandler: deps.providerCheck } : {}),
    // not an async function: a handler that answers synchronously costs no promise here (Fastify
    // turns a synchronous throw into the error handler's answer, as it does a rejection)
    // `inflight` counts running handlers: disabling the plugin at runtime waits for them (bounded)
    handler: (request, reply) => {
      const view = new ReplyView(request, reply, onHijack)
      rec.inflight++
      let result: unknown
      try {
        result = (rec.decl.handler as RouteHandler)(toRevkaRequest(request, rec), view)
      } catch (e) {
        settled(rec)
        throw e
      }
      if (isThenable(result)) {
        return Promise.resolve(result).then(
          (r) => {
            settled(rec)
            return view.hijacked ? reply : sendResult(reply, r)
          },
          (e) => {
            settled(rec)
            throw e
          },
        )
      }
      settled(rec)
      if (view.hijacked) return reply
      return sendResult(reply, result)
    },
  })

  // a stream's timeout covers only its head; from here the plugin owns the response, and the
  // kernel tracks it so revocation and shutdown can end it
  function onHijack(view: ReplyView): void {
    const request = view.request
    if (request.revkaTimer) clearTimeout(request.revkaTimer)
    const raw = view.raw
    const untrack = deps.connections.add(
      request.revkaAuth?.credentialId,
      {
        revoke: () => endStream(raw, 'token_revoked', 'Token revoked'),
        shutdown: () => endStream(raw, 'shutting_down', 'Gateway shutting down'),
        pluginDisabled: () => endStream(raw, 'plugin_disabled', `Plugin ${rec.pluginId} was disabled`),
      },
      rec.pluginId,
    )
    raw.once('close', untrack)
    // a request body nobody reads (a GET sent with one) fills the socket's buffer and pauses it, and
    // a paused socket never notices the client hanging up: the stream stayed tracked (and its
    // plugin kept working for nobody) until its next write. Discard it so the hang-up is seen.
    if (!request.raw.readableEnded) request.raw.resume()
  }
}

function settled(rec: RouteRecord): void {
  if (--rec.inflight === 0 && rec.onIdle) rec.onIdle()
}

function endStream(raw: import('node:http').ServerResponse, code: string, message: string): void {
  if (raw.writableEnded) return
  // the content type is read back from headers set with setHeader (startSse does): a stream that
  // put its headers straight into writeHead() still ends, just without the final event
  const ct = String(raw.getHeader('content-type') ?? '')
  if (ct.includes('text/event-stream')) raw.write(`event: error\ndata: ${JSON.stringify({ type: 'error', code, message })}\n\n`)
  raw.end()
}
