/**
 * Routes are data. The table checks each declaration (auth present, limits under the ceiling, no
 * overlap with another plugin) before the kernel registers it on Fastify itself.
 */
import type { AuthSurface, AuthSurfaceName, HttpMethod, RouteDeclaration } from '@revka/plugin-sdk'

export const BODY_LIMIT_DEFAULT = 65_536
/** largest body a route may declare (attachments and skins need 25 MiB) */
export const BODY_LIMIT_CEILING = 32 * 1024 * 1024
/** longest route timeout a route may declare */
export const TIMEOUT_CEILING_MS = 10 * 60 * 1000

const SURFACES = new Set<AuthSurfaceName>(['public', 'bearer', 'service', 'loopback', 'signed'])
const METHODS = new Set<HttpMethod>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'])

export interface NormalisedAuth {
  surfaces: Set<AuthSurfaceName>
  provider?: (req: any, secret: string) => boolean | Promise<boolean>
}

export interface RouteRecord {
  readonly id: number
  readonly pluginId: string
  readonly decl: RouteDeclaration
  readonly methods: HttpMethod[]
  /** url without path prefix, Fastify syntax */
  readonly url: string
  readonly auth: NormalisedAuth
  readonly bodyLimit: number
  /** null = the kernel's global timeout */
  readonly timeoutMs: number | null
  disposed: boolean
  /** handlers of this route running now (kernel/http/mount.ts) */
  inflight: number
  /** set while the plugin is being disabled: called when `inflight` drops to 0 */
  onIdle?: () => void
}

export class RouteDeclarationError extends Error {}

export function normaliseAuth(auth: AuthSurface | undefined, where: string): NormalisedAuth {
  if (auth === undefined || auth === null)
    throw new RouteDeclarationError(`REVKA_ERR_ROUTE_NO_AUTH: ${where} declares no auth; say auth: 'public' explicitly if it is public`)
  if (typeof auth === 'object' && !Array.isArray(auth)) {
    if (typeof (auth as any).provider !== 'function')
      throw new RouteDeclarationError(`REVKA_ERR_ROUTE_AUTH: ${where} has an auth object without a provider function`)
    return { surfaces: new Set(), provider: (auth as any).provider }
  }
  const list = Array.isArray(auth) ? auth : [auth]
  if (!list.length) throw new RouteDeclarationError(`REVKA_ERR_ROUTE_AUTH: ${where} has an empty auth list`)
  for (const s of list) if (!SURFACES.has(s)) throw new RouteDeclarationError(`REVKA_ERR_ROUTE_AUTH: ${where} has unknown auth surface "${String(s)}"`)
  if (list.includes('public') && list.length > 1) throw new RouteDeclarationError(`REVKA_ERR_ROUTE_AUTH: ${where} combines 'public' with other surfaces`)
  return { surfaces: new Set(list) }
}

/** `/a/:id/b` and `/a/:x/b` are the same route */
function shape(url: string): string {
  return url.replace(/:[^/]+/g, ':').replace(/\*$/, '*')
}

export class RouteTable {
  private seq = 0
  readonly records: RouteRecord[] = []

  add(pluginId: string, decl: RouteDeclaration): RouteRecord {
    const methods = (Array.isArray(decl.method) ? decl.method : [decl.method]).map((m) => String(m).toUpperCase() as HttpMethod)
    const where = `route ${methods.join(',')} ${decl.url} of plugin ${pluginId}`
    for (const m of methods) if (!METHODS.has(m)) throw new RouteDeclarationError(`REVKA_ERR_ROUTE_METHOD: ${where} has unknown method ${m}`)
    if (typeof decl.url !== 'string' || !decl.url.startsWith('/') || /\s|\?|#/.test(decl.url))
      throw new RouteDeclarationError(`REVKA_ERR_ROUTE_URL: ${where} must be a path starting with "/"`)
    if (typeof decl.handler !== 'function') throw new RouteDeclarationError(`REVKA_ERR_ROUTE_HANDLER: ${where} has no handler`)
    const auth = normaliseAuth(decl.auth, where)
    if (auth.provider && !decl.secret)
      throw new RouteDeclarationError(`REVKA_ERR_ROUTE_SECRET: ${where} uses a provider verifier but declares no secret source`)
    if (decl.websocket && (auth.provider || !methods.every((m) => m === 'GET')))
      throw new RouteDeclarationError(`REVKA_ERR_ROUTE_WS: ${where}: WebSocket routes are GET with a bearer/loopback/service/public surface`)
    const bodyLimit = decl.bodyLimit ?? BODY_LIMIT_DEFAULT
    if (!Number.isInteger(bodyLimit) || bodyLimit < 0 || bodyLimit > BODY_LIMIT_CEILING)
      throw new RouteDeclarationError(`REVKA_ERR_ROUTE_LIMIT: ${where} bodyLimit ${bodyLimit} is above the kernel ceiling ${BODY_LIMIT_CEILING}`)
    const timeoutMs = decl.timeoutMs ?? null
    if (timeoutMs !== null && (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > TIMEOUT_CEILING_MS))
      throw new RouteDeclarationError(`REVKA_ERR_ROUTE_LIMIT: ${where} timeoutMs ${timeoutMs} is outside 1..${TIMEOUT_CEILING_MS}`)
    if (decl.rateLimit && (!Number.isInteger(decl.rateLimit.perMinute) || decl.rateLimit.perMinute < 0))
      throw new RouteDeclarationError(`REVKA_ERR_ROUTE_LIMIT: ${where} rateLimit.perMinute must be a non-negative integer`)

    if (decl.encodedWildcard && (decl.websocket || !decl.url.endsWith('/*')))
      throw new RouteDeclarationError(`REVKA_ERR_ROUTE_URL: ${where}: encodedWildcard needs an HTTP route whose url ends in "/*"`)
    if (decl.fallback) {
      if (decl.websocket || methods.length !== 1 || methods[0] !== 'GET' || decl.url !== '/*')
        throw new RouteDeclarationError(`REVKA_ERR_ROUTE_FALLBACK: ${where}: the fallback route is declared as method 'GET', url '/*'`)
      const taken = this.records.find((r) => !r.disposed && r.decl.fallback)
      if (taken) throw new RouteDeclarationError(`REVKA_ERR_ROUTE_OVERLAP: ${where}: plugin ${taken.pluginId} already serves the fallback page`)
    }
    const s = shape(decl.url)
    for (const other of this.records) {
      // the fallback answers only what no route matched: it overlaps nothing
      if (other.disposed || other.decl.fallback || decl.fallback) continue
      const os = shape(other.url)
      const sameMethod = other.methods.some((m) => methods.includes(m))
      const clash =
        sameMethod &&
        (os === s ||
          (s.endsWith('*') && os.startsWith(s.slice(0, -1)) && other.pluginId !== pluginId) ||
          (os.endsWith('*') && s.startsWith(os.slice(0, -1)) && other.pluginId !== pluginId))
      if (clash) {
        throw new RouteDeclarationError(`REVKA_ERR_ROUTE_OVERLAP: ${where} overlaps ${other.methods.join(',')} ${other.url} of plugin ${other.pluginId}`)
      }
    }
    const rec: RouteRecord = { id: ++this.seq, pluginId, decl, methods, url: decl.url, auth, bodyLimit, timeoutMs, disposed: false, inflight: 0 }
    this.records.push(rec)
    return rec
  }

  active(): RouteRecord[] {
    return this.records.filter((r) => !r.disposed)
  }
}
