/**
 * Which route a request matched, and so its policy (owner, auth surface, limits, timeout). Fastify
 * carries only a route's `config` (a copy); the kernel does not hand its records to Fastify: the
 * config holds an opaque key and the kernel's own WeakMap maps it to the record. The answer is
 * remembered per request, since Fastify builds a new `routeOptions` object on every read and
 * several root hooks ask.
 */
import type { FastifyRequest } from 'fastify'
import type { RouteRecord } from './route-table.js'

const routes = new WeakMap<object, RouteRecord>()
const matched = new WeakMap<object, RouteRecord | null>()

/** the `config` a route is registered with: an opaque key to its record */
export function routeConfig(rec: RouteRecord): { revkaRoute: object } {
  const key = Object.freeze({})
  routes.set(key, rec)
  return { revkaRoute: key }
}

/** the record of the kernel route the request matched; undefined for anything else (404s, the kernel's own) */
export function routeOf(request: Pick<FastifyRequest, 'routeOptions'>): RouteRecord | undefined {
  let rec = matched.get(request)
  if (rec === undefined) {
    const key = (request.routeOptions?.config as { revkaRoute?: object } | undefined)?.revkaRoute
    rec = (key && routes.get(key)) || null
    matched.set(request, rec)
  }
  return rec ?? undefined
}
