/**
 * What the gateway answers when no route claims a request (contract §1.0 "Fallback", with our
 * deliberate difference): unknown `/api/*`, `/ws/*` and `/admin/*` paths are 404 JSON, never a
 * dashboard page; any other unmatched GET goes to the fallback route a plugin declared
 * (`fallback: true`, a dashboard's index.html); other unmatched methods answer 405 while a
 * fallback is mounted (the path exists, for GET), 404 otherwise; `{prefix}/` is a 308 to `{prefix}`.
 *
 * The fallback is a real Fastify route, mounted at `{prefix}*` so that it also matches `{prefix}`
 * itself, which means the kernel's gatekeeper (plugin state, auth, limits, timeout) applies to it
 * like to any route. This file's onRequest hook runs before the gatekeeper and takes back what the
 * wildcard matched but must not reach the plugin: the reserved prefixes, `{prefix}/`, and paths
 * that only share the prefix's first characters (`/revkafoo` for `/revka`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { sendError } from './errors.js'
import { routeOf } from './route-policy.js'

/** where the fallback route is mounted */
export function fallbackUrl(prefix: string): string {
  return `${prefix}*`
}

/** `/api`, `/ws` and `/admin`, alone or followed by `/` (a path already stripped of the prefix) */
export function reservedPath(path: string): boolean {
  for (const p of RESERVED) {
    if (path.startsWith(p) && (path.length === p.length || path.charCodeAt(p.length) === 47) /* / */) return true
  }
  return false
}
const RESERVED = ['/api', '/ws', '/admin']

export interface UnmatchedDeps {
  prefix: string
  /** true while a plugin's fallback route is mounted */
  hasFallback(): boolean
}

function notFound(reply: FastifyReply, method: string, path: string): FastifyReply {
  return sendError(reply, 404, 'not_found', `No route for ${method} ${path}`)
}

function slashRedirect(reply: FastifyReply, prefix: string, query: string | undefined): FastifyReply {
  return reply
    .code(308)
    .header('location', prefix + (query ? `?${query}` : ''))
    .send()
}

/** Install before the gatekeeper, so its hook runs first. */
export function installUnmatched(app: FastifyInstance, deps: UnmatchedDeps): void {
  const { prefix } = deps

  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const rec = routeOf(request)
    if (!rec?.decl.fallback) return done()
    const [path, query] = request.url.split('?')
    const rest = path.slice(prefix.length)
    if (rest && rest.charCodeAt(0) !== 47) return void notFound(reply, request.method, path)
    if (prefix && rest === '/') return void slashRedirect(reply, prefix, query)
    if (reservedPath(rest)) return void notFound(reply, request.method, path)
    done()
  })

  app.setNotFoundHandler((request, reply) => {
    const [path, query] = request.url.split('?')
    const get = request.method === 'GET' || request.method === 'HEAD'
    // behind a path prefix, `{prefix}/` is the same place as `{prefix}` (as the reference answers)
    if (prefix && path === `${prefix}/` && get) return slashRedirect(reply, prefix, query)
    const inside = path === prefix || path.startsWith(`${prefix}/`)
    if (!get && inside && deps.hasFallback() && !reservedPath(path.slice(prefix.length))) {
      return sendError(reply, 405, 'method_not_allowed', `${request.method} is not allowed here; this path serves the dashboard page (GET)`, {
        headers: { allow: 'GET, HEAD' },
      })
    }
    return notFound(reply, request.method, path)
  })
}
