/**
 * The per-request auth decision for a route's declared surfaces. Runs in the kernel's root
 * `onRequest` hook — before the body is read and before any plugin code — so a refused request
 * never reaches its handler. Provider (webhook) verification needs the raw body and runs later, in
 * `preHandler`, still before the handler.
 */
import type { FastifyRequest } from 'fastify'
import { timingSafeEqualStr, type AuthContext } from '@revka/plugin-sdk'
import type { RouteRecord } from '../http/route-table.js'
import type { ClientIdentity } from './client.js'
import type { Credentials } from './credentials.js'
import { FailureLimiter, type Clock, type SharedFailures } from './limiter.js'
import { verifySigned } from './signed.js'
import type { AuthEvents } from '../audit/auth-events.js'

export const AUTH_MAX_FAILURES = 10
export const AUTH_WINDOW_MS = 60_000
export const AUTH_LOCKOUT_MS = 300_000

export interface Denial {
  status: number
  code: string
  message: string
  retryAfter?: number
}

export interface GuardDeps {
  credentials: Credentials
  requirePairing: () => boolean
  serviceToken: string
  clock: Clock
  pathPrefix: string
  maxKeys: number
  /** the audit log's auth recorder (successes deduplicated, failures capped); absent in unit tests */
  audit?: AuthEvents
}

const ANONYMOUS: AuthContext = Object.freeze({ via: 'anonymous' })

export const UNAUTHORIZED_MESSAGE = 'Unauthorized — pair first via POST /pair (Authorization: Bearer <token>) or present X-Revka-Service-Token'

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

/** Bearer token in the contract's order: header, then `bearer.<t>` subprotocol (ws), then `?token=`. */
export function extractBearer(req: FastifyRequest, ws: boolean, queryToken: boolean): string | undefined {
  const authz = header(req, 'authorization')
  if (authz) {
    const m = /^Bearer\s+(.+)$/i.exec(authz.trim())
    if (m && m[1].trim()) return m[1].trim()
  }
  if (ws) {
    const proto = header(req, 'sec-websocket-protocol')
    if (proto) {
      for (const p of proto.split(',')) {
        const t = p.trim()
        if (t.startsWith('bearer.') && t.length > 7) return t.slice(7)
      }
    }
  }
  if (ws || queryToken) {
    const q = (req.query as Record<string, unknown> | undefined)?.token
    if (typeof q === 'string' && q) return q
  }
  return undefined
}

export class AuthGuard {
  readonly failures: FailureLimiter
  /** cluster mode: the failures counted on every node too (kernel/cluster/shared-limits.ts) */
  private shared?: SharedFailures

  constructor(private readonly deps: GuardDeps) {
    this.failures = new FailureLimiter(AUTH_MAX_FAILURES, AUTH_WINDOW_MS, AUTH_LOCKOUT_MS, deps.clock, deps.maxKeys)
  }

  /** count failures across the nodes from here on; the lockouts they start land in `failures` */
  share(shared: SharedFailures): void {
    this.shared = shared
  }

  /**
   * Cluster mode: a bearer this node does not know may have been paired on another node a moment
   * ago, its notification still on the way. `lookup` reads it from the shared registry (and adds
   * it to this node's mirror) before the request is refused. Only a miss pays for it, and misses
   * are bounded by the failure lockout.
   */
  lookupMisses(lookup: (bearer: string) => Promise<boolean>): void {
    this.lookup = lookup
  }
  private lookup?: (bearer: string) => Promise<boolean>

  /**
   * `adminOnlyOnSocket` (`[gateway] admin_only_on_socket`) only changes what a refused loopback
   * route says: that admin routes are served on the admin socket, not that they need localhost.
   */
  check(
    rec: RouteRecord,
    req: FastifyRequest,
    id: ClientIdentity,
    adminOnlyOnSocket = false,
    lookedUp = false,
  ): AuthContext | Denial | Promise<AuthContext | Denial> {
    const { surfaces, provider } = rec.auth
    if (surfaces.has('public')) return { via: 'public' }
    if (provider) return { via: 'provider' }
    const wantsBearer = surfaces.has('bearer')
    const wantsService = surfaces.has('service')
    const ws = rec.decl.websocket === true
    const bearer = wantsBearer ? extractBearer(req, ws, rec.decl.queryToken === true) : undefined
    // the service token is a REST credential: not on WebSockets or query-token streams
    const serviceAllowed = wantsService || (wantsBearer && !ws && !rec.decl.queryToken)
    const service = serviceAllowed ? header(req, 'x-revka-service-token') : undefined
    // a route-level token (`extraBearer`) is an extra door, never a weaker one: while it is set,
    // pairing-off does not open the route either
    const extra = wantsBearer ? routeToken(rec) : undefined
    const pairingOff = wantsBearer && extra === undefined && !this.deps.requirePairing()
    if (surfaces.has('loopback') && id.isLoopback) {
      // a local caller that presents a credential on an any-of route is that credential: its
      // quotas are its own (not the one every tokenless local process shares), and a wrong one is
      // refused as it is from anywhere else. Pairing off has no tokens to tell callers apart.
      if (!(bearer || service) || pairingOff) return { via: 'loopback' }
    }
    if (surfaces.has('signed')) {
      const v = this.checkSigned(rec, req)
      if (v === true) return { via: 'signed' }
      if (surfaces.size === 1) return { status: 403, code: 'forbidden', message: `forbidden: ${v}` }
    }
    if (!wantsBearer && !wantsService) {
      if (adminOnlyOnSocket) {
        return {
          status: 403,
          code: 'loopback_only',
          message: 'Admin endpoints are served only on the admin socket ([gateway] admin_socket; admin_only_on_socket = true), not on the TCP port',
        }
      }
      return { status: 403, code: 'loopback_only', message: 'Admin endpoints are restricted to localhost' }
    }
    if (pairingOff) return { via: 'pairing-off' }
    // a public view of a bearer route: only for a caller with no credential at all
    if (rec.decl.anonymous === true && !bearer && !service) return ANONYMOUS

    const locked = this.failures.lockedFor(id.key)
    if (locked > 0) return { status: 429, code: 'too_many_auth_attempts', message: `Too many auth attempts. Try again in ${locked}s.`, retryAfter: locked }

    let presented = false
    if (bearer) {
      presented = true
      if (extra && timingSafeEqualStr(bearer, extra)) {
        return this.succeeded({ via: 'bearer', credentialId: `route-token:${rec.pluginId}` }, id.key)
      }
      const issued = rec.decl.bearerCredential ? routeCredential(rec, bearer, req) : null
      if (issued) return this.succeeded({ via: 'bearer', credentialId: `route-credential:${rec.pluginId}:${issued}` }, id.key)
      const p = this.deps.credentials.verifyBearer(bearer)
      if (p) {
        return this.succeeded({ via: p.via, deviceId: p.deviceId, credentialId: p.credentialId }, id.key)
      }
    }
    if (service) {
      presented = true
      if (this.deps.credentials.verifyService(service)) {
        return this.succeeded({ via: 'service', credentialId: 'service' }, id.key)
      }
    }
    const denial: Denial =
      wantsService && !wantsBearer
        ? { status: 401, code: 'unauthorized', message: 'Unauthorized — this route requires X-Revka-Service-Token' }
        : { status: 401, code: 'unauthorized', message: UNAUTHORIZED_MESSAGE }
    if (!presented) return denial
    if (bearer && this.lookup && !lookedUp) {
      // the same check again once the registry was read, this time without a lookup
      return this.lookup(bearer)
        .catch(() => false)
        .then((found) => (found ? this.check(rec, req, id, adminOnlyOnSocket, true) : this.refused(denial, bearer, id.key)))
    }
    return this.refused(denial, bearer, id.key)
  }

  /** count the failure (on every node in cluster mode) and answer the denial */
  private refused(denial: Denial, bearer: string | undefined, key: string): Denial | Promise<Denial> {
    const what = bearer ? 'bearer' : 'service_token'
    const lockout = this.failures.fail(key)
    if (!this.shared) {
      this.deps.audit?.failure(what, key, lockout, this.failures.remaining(key))
      return denial
    }
    // cluster mode: the refusal waits for the shared count (a failure is the slow path anyway), so
    // when the client reads this 401 its failure is counted on every node and a lockout it started
    // is already published to them
    return this.shared.fail(key).then((s) => {
      const remaining = Math.min(this.failures.remaining(key), s?.remaining ?? Infinity)
      this.deps.audit?.failure(what, key, Math.max(lockout, s?.lockout ?? 0), remaining)
      return denial
    })
  }

  private succeeded(ctx: AuthContext, key: string): AuthContext {
    // the shared count is cleared only where this node counted failures: a Redis call on every
    // authenticated request would cost the hot path more than the stricter count costs a client
    if (this.failures.succeed(key)) this.shared?.clear(key)
    this.deps.audit?.success(ctx, key)
    return ctx
  }

  private checkSigned(rec: RouteRecord, req: FastifyRequest): true | string {
    const q = req.query as Record<string, string | undefined>
    let subject: string
    if (rec.decl.signed?.subject === 'wildcard') {
      subject = (req.params as Record<string, string>)['*'] ?? ''
    } else {
      const path = req.url.split('?')[0].slice(this.deps.pathPrefix.length)
      try {
        subject = decodeURIComponent(path)
      } catch {
        return 'bad signature'
      }
    }
    // a repeated `exp` or `sig` parses to an array: not a signature (it threw, a 500, before)
    const one = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? undefined : '!')
    const v = verifySigned(this.deps.serviceToken, this.deps.clock, subject, one(q.exp), one(q.sig))
    return v.ok ? true : v.reason
  }
}

/**
 * The route's own token: a string when one is configured, '' when its function threw (fail closed:
 * no token matches '' and pairing-off stays shut), undefined when there is none.
 */
function routeToken(rec: RouteRecord): string | undefined {
  const fn = rec.decl.extraBearer
  if (typeof fn !== 'function') return undefined
  try {
    const v = fn()
    return typeof v === 'string' && v.trim() ? v.trim() : undefined
  } catch {
    return ''
  }
}

/** a plugin-issued credential (`bearerCredential`): its id, or null; a throw is a refusal */
function routeCredential(rec: RouteRecord, bearer: string, req: FastifyRequest): string | null {
  try {
    const v = rec.decl.bearerCredential!(bearer, req.headers)
    return typeof v === 'string' && v ? v.slice(0, 64) : null
  } catch {
    return null
  }
}

export function isDenial(x: AuthContext | Denial): x is Denial {
  return (x as Denial).status !== undefined
}
