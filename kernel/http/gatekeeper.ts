/**
 * The kernel's root hooks, added before any route exists: every request to a plugin route passes
 * plugin availability, Origin (WebSockets), auth, rate limit and timeout checks here, then the
 * provider verifier on the raw body, and only then reaches the handler.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { isHttpError, resolveSecret, type AuthContext, type ProviderAuth } from '@revka/plugin-sdk'
import { clientIdentity, viaAdminSocket, type ClientIdentity } from '../auth/client.js'
import { isDenial, type AuthGuard, type Denial } from '../auth/guard.js'
import type { WindowLimiter } from '../auth/limiter.js'
import type { HookTable } from '../hooks/table.js'
import { toRevkaRequest } from './dispatch.js'
import { sendError } from './errors.js'
import { lingerOnClose } from './linger.js'
import { originAllowed } from './origin.js'
import { handshakeProblem } from './ws-handshake.js'
import type { RouteRecord } from './route-table.js'
import { routeOf } from './route-policy.js'

export interface GatekeeperDeps {
  guard: AuthGuard
  limiter: WindowLimiter
  hooks: HookTable
  log: Logger
  trustForwarded: boolean
  allowedOrigins: string[]
  timeoutMs: number
  /** 'started' lets requests through; anything else answers 503 */
  pluginStatus(pluginId: string): string
  pluginOptions(pluginId: string): Record<string, unknown>
  /** secrets a provider route must never accept (service token, bearer hashes) */
  forbiddenSecret(secret: string): boolean
  env: NodeJS.ProcessEnv
  /** true once shutdown began: new requests get 503 and the connection closes */
  closing(): boolean
  /** `[gateway] admin_only_on_socket`: no TCP request counts as local */
  adminOnlyOnSocket?: boolean
}

function hasBody(request: FastifyRequest): boolean {
  const cl = request.headers['content-length']
  return (cl !== undefined && cl !== '0') || request.headers['transfer-encoding'] !== undefined
}

function onTimeout(request: FastifyRequest, reply: FastifyReply): void {
  request.revkaAbort?.abort(new Error('request timed out'))
  if (reply.sent || reply.raw.headersSent) return
  // the body may still be trickling in: answer and drop the connection
  reply.header('connection', 'close')
  sendError(reply, 408, 'request_timeout', 'Request timed out')
  // an injected request (light-my-request: tests, the fuzz) has a socket-like object without
  // destroy(); a throw here would escape the timer as an uncaught exception
  reply.raw.once('finish', () => {
    const socket = request.raw.socket as { destroy?: unknown } | undefined
    if (typeof socket?.destroy === 'function') (socket as { destroy(): void }).destroy()
  })
}

function refuse(request: FastifyRequest, reply: FastifyReply, d: Denial): void {
  // the body of a refused request is never read: close rather than leave it in the socket
  if (hasBody(request)) {
    reply.header('connection', 'close')
    lingerOnClose(request.raw)
  }
  sendError(reply, d.status, d.code, d.message, { retryAfter: d.retryAfter })
}

export type ProviderCheck = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void

/**
 * Install the root hooks. Returns the provider check, which the mounter attaches to provider
 * routes only: as a root preHandler every request paid for a hook that almost none need.
 */
export function installGatekeeper(app: FastifyInstance, deps: GatekeeperDeps): { providerCheck: ProviderCheck } {
  app.addHook('onRequest', (request, reply, done) => {
    if (deps.closing()) {
      reply.header('connection', 'close')
      return void sendError(reply, 503, 'shutting_down', 'The gateway is shutting down', { retryAfter: 5 })
    }
    const rec = routeOf(request)
    if (!rec) return done()
    request.revkaStart = performance.now()
    if (rec.disposed) return void sendError(reply, 404, 'not_found', `No route for ${request.method} ${request.url.split('?')[0]}`)
    const status = deps.pluginStatus(rec.pluginId)
    if (status !== 'started') {
      // a plugin disabled at runtime: its routes answer this while it drains, then 404 (disposed)
      if (status === 'disabled')
        return void sendError(reply, 503, 'plugin_disabled', `Plugin ${rec.pluginId} is being disabled; this route is going away`, { retryAfter: 5 })
      return void sendError(reply, 503, 'plugin_unavailable', `Plugin ${rec.pluginId} is ${status}; this route is unavailable`, { retryAfter: 5 })
    }
    const declared = Number(request.headers['content-length'])
    if (declared > rec.bodyLimit) {
      // refused before a byte of the body is read
      reply.header('connection', 'close')
      lingerOnClose(request.raw)
      return void sendError(reply, 413, 'payload_too_large', `Request body exceeds the ${rec.bodyLimit}-byte limit of this route`, {
        extra: { limit: rec.bodyLimit },
      })
    }
    // the admin socket serves the loopback routes and nothing else
    if (!rec.auth.surfaces.has('loopback') && viaAdminSocket(request.raw)) {
      return void sendError(reply, 404, 'not_found', `No route for ${request.method} ${request.url.split('?')[0]} on the admin socket`)
    }
    const id = clientIdentity(request.raw, deps.trustForwarded, !deps.adminOnlyOnSocket)
    request.revkaId = id
    if (rec.decl.websocket) {
      const origin = request.headers.origin
      if (!originAllowed(origin, request.headers.host, deps.allowedOrigins)) {
        return void sendError(reply, 403, 'forbidden_origin', 'Forbidden — cross-origin WebSocket upgrade rejected')
      }
      if (request.headers.upgrade?.toLowerCase() !== 'websocket') {
        return void sendError(reply, 426, 'upgrade_required', 'This route is a WebSocket endpoint; send an Upgrade: websocket request')
      }
      const want = rec.decl.subprotocol
      const header = String(request.headers['sec-websocket-protocol'] ?? '').trim()
      // contract §3: the route's subprotocol is selected when offered; an upgrade offering none
      // (the reference dashboard's terminal, token in the query) is accepted with none selected.
      // Only an offer that lacks it is refused: the client would reject the 101 anyway.
      if (want && header) {
        const offered = header.split(',').map((s) => s.trim())
        if (!offered.includes(want)) {
          return void sendError(reply, 400, 'subprotocol_unsupported', `None of the offered WebSocket subprotocols is supported here; offer "${want}" or none`)
        }
        ;(request.raw as any).revkaSubprotocol = want
      }
    }
    const verdict = deps.guard.check(rec, request, id, deps.adminOnlyOnSocket === true)
    // cluster mode: a credential the node did not know is settled by the shared state first (a
    // wrong one is refused once the nodes' shared count has it; one paired on another node a moment
    // ago is read from PostgreSQL)
    if (verdict instanceof Promise)
      return void verdict.then(
        (v) => (isDenial(v) ? refuse(request, reply, v) : admitted(request, reply, done, rec, id, v)),
        (e) => reply.send(e),
      )
    if (isDenial(verdict)) return refuse(request, reply, verdict)
    admitted(request, reply, done, rec, id, verdict)
  })

  /** the request passed auth: its rate limit, timer, WebSocket handshake checks, then on */
  function admitted(request: FastifyRequest, reply: FastifyReply, done: () => void, rec: RouteRecord, id: ClientIdentity, verdict: AuthContext): void {
    request.revkaAuth = verdict
    const perMinute = rec.decl.rateLimit?.perMinute
    if (perMinute) {
      // keyed by what the route is, not its registration number, which differs between nodes
      const wait = deps.limiter.take(`${rec.pluginId}|${rec.methods}|${rec.url}|${id.key}`, perMinute)
      if (wait > 0) return void sendError(reply, 429, 'rate_limited', 'Too many requests. Please retry later.', { retryAfter: wait })
    }
    if (!rec.decl.websocket) {
      const ms = rec.timeoutMs ?? deps.timeoutMs
      request.revkaTimer = setTimeout(onTimeout, ms, request, reply)
      // a request whose client vanished mid-answer never reaches onResponse, so nothing clears
      // this: unref'd, it cannot hold a stopped gateway's process open for up to the route timeout
      request.revkaTimer.unref()
    }
    if (rec.decl.websocket) {
      // after auth, so a refused credential is still told so first
      const bad = handshakeProblem(request)
      if (bad) return void sendError(reply, bad.status, bad.code, bad.message)
    }
    const admit = rec.decl.websocket ? rec.decl.admit : undefined
    if (!admit) return done()
    // a WebSocket route's own refusal (policy, missing parameters) must be an HTTP status on the
    // upgrade response, which only exists before the 101: run it here, after auth
    Promise.resolve()
      .then(() => admit(toRevkaRequest(request, rec)))
      .then(
        () => done(),
        (e) => {
          if (isHttpError(e))
            return void sendError(reply, e.statusCode, e.code, e.message, {
              retryAfter: e.options.retryAfter,
              extra: e.options.extra,
              headers: e.options.headers,
            })
          deps.log.error({ plugin: rec.pluginId, route: rec.url, err: (e as Error)?.message }, 'websocket admit check threw')
          sendError(reply, 500, 'internal_error', 'WebSocket admission check failed')
        },
      )
  }

  async function verifyProvider(request: FastifyRequest, reply: FastifyReply, rec: RouteRecord): Promise<unknown> {
    const verify = rec.auth.provider!
    const secret = resolveSecret(rec.decl.secret, deps.pluginOptions(rec.pluginId), (name) => deps.env[name])
    if (!secret) {
      const where = [
        rec.decl.secret?.env && `env ${rec.decl.secret.env}`,
        rec.decl.secret?.config && `plugins.${rec.pluginId}.options.${rec.decl.secret.config}`,
      ]
        .filter(Boolean)
        .join(' or ')
      return sendError(reply, 503, 'webhook_not_configured', `Webhook secret is not configured (set ${where})`, { retryAfter: 60 })
    }
    if (deps.forbiddenSecret(secret)) {
      return sendError(reply, 503, 'webhook_not_configured', 'Webhook secret must not equal the service token or a bearer token', { retryAfter: 60 })
    }
    let ok: boolean
    try {
      ok = await verify(
        {
          headers: request.headers,
          query: request.query as Record<string, string | undefined>,
          rawBody: request.revkaRaw ?? Buffer.alloc(0),
          method: request.method,
          url: request.url,
        },
        secret,
      )
    } catch (e) {
      deps.log.warn({ plugin: rec.pluginId, err: (e as Error).message }, 'provider verifier threw; refusing the delivery')
      ok = false
    }
    if (ok !== true) {
      const refusal = (rec.decl.auth as ProviderAuth).refusal
      if (refusal && (refusal.status === 401 || refusal.status === 403)) return sendError(reply, refusal.status, refusal.code, refusal.message)
      return sendError(reply, 401, 'invalid_signature', 'Invalid signature')
    }
  }

  app.addHook('onResponse', (request, reply, done) => {
    if (request.revkaTimer) clearTimeout(request.revkaTimer)
    const hook = deps.hooks.response
    if (hook.taps.length) {
      const rec = routeOf(request)
      hook.call({
        method: request.method,
        route: rec ? rec.url : 'unmatched',
        status: reply.statusCode,
        durationMs: request.revkaStart ? performance.now() - request.revkaStart : 0,
        plugin: rec?.pluginId,
      })
    }
    done()
  })

  return {
    providerCheck(request, reply, done) {
      const rec = routeOf(request)
      if (!rec?.auth.provider) return done()
      verifyProvider(request, reply, rec).then(
        () => {
          if (!reply.sent) done()
        },
        (e) => done(e),
      )
    },
  }
}
