/**
 * One fuzz case for one route: where it goes, with which credentials, carrying which garbage.
 * Three credential modes, so both the kernel's refusals and the handlers behind them are fuzzed:
 * `valid` (a paired bearer, the service token, a loopback peer, a signed URL or a correct provider
 * signature — whatever the route's surfaces accept), `none`, and `junk` (malformed credentials).
 */
import { createHmac } from 'node:crypto'
import type { TestKernel } from '@revka/plugin-testing'
import { SECRETS } from './builtins.js'
import { bodyCase, concretePath, enc, extraHeaders, junkAuthHeaders, queryString, STRINGS } from './fuzz-input.js'
import type { Rng } from './prng.js'

export type RouteRec = ReturnType<TestKernel['kernel']['routes']['active']>[number]
export type Mode = 'valid' | 'none' | 'junk'

export interface Creds {
  bearer: string
  service: string
  /** `/path?exp=&sig=` for a signed route */
  sign(path: string, subject: string): string
}

export interface HttpCase {
  label: string
  mode: Mode
  method: string
  /** path and query, as sent */
  url: string
  headers: Record<string, string>
  body?: Buffer
  remoteAddress: string
}

const has = (r: RouteRec, s: string) => r.auth.surfaces.has(s as any)
const hmac = (key: string, data: Buffer) => createHmac('sha256', key).update(data).digest('hex')

/** Never reach this with a loopback peer: it would stop the gateway under test. */
export function isShutdownRoute(r: RouteRec, method: string): boolean {
  return method === 'POST' && /\/shutdown$/.test(r.url) && has(r, 'loopback')
}

let fresh = 0
/** a never-seen non-loopback peer, so one case's failures never lock out the next */
export function freshRemote(): string {
  fresh++
  return `2001:db8:${(fresh >> 16).toString(16)}::${(fresh & 0xffff).toString(16)}`
}

function loopbackRemote(rng: Rng): string {
  return `127.${rng.int(256)}.${rng.int(256)}.${rng.between(1, 254)}`
}

/**
 * Correct provider credentials for the built-in webhook routes. A provider route not listed here
 * (added later) is fuzzed unsigned: it must still refuse in the contract's shape.
 */
function providerHeaders(r: RouteRec, method: string, body: Buffer): { headers: Record<string, string>; query: string } | null {
  const url = r.url
  if (method === 'GET' && url === '/whatsapp') return { headers: {}, query: `hub.mode=subscribe&hub.verify_token=${SECRETS.whatsappVerify}` }
  if (method === 'GET' && url === '/wati') return { headers: {}, query: `hub.verify_token=${SECRETS.watiVerify}` }
  if (method !== 'POST') return null
  switch (url) {
    case '/whatsapp':
      return { headers: { 'x-hub-signature-256': `sha256=${hmac(SECRETS.whatsappApp, body)}` }, query: '' }
    case '/linq': {
      const ts = String(Math.floor(Date.now() / 1000))
      return { headers: { 'x-webhook-timestamp': ts, 'x-webhook-signature': hmac(SECRETS.linq, Buffer.concat([Buffer.from(`${ts}.`), body])) }, query: '' }
    }
    case '/nextcloud-talk': {
      const random = 'fuzz-random-' + body.length
      return {
        headers: { 'x-nextcloud-talk-random': random, 'x-nextcloud-talk-signature': hmac(SECRETS.nextcloud, Buffer.concat([Buffer.from(random), body])) },
        query: '',
      }
    }
    case '/wati':
      return { headers: { 'x-revka-webhook-secret': SECRETS.wati }, query: '' }
    case '/webhook/gmail':
      return { headers: { authorization: `Bearer ${SECRETS.gmail}` }, query: '' }
    default:
      return null
  }
}

/** the wildcard part of a concrete path, decoded the way the router decodes it (best effort) */
function wildcardSubject(route: string, path: string): string {
  const prefix = route.slice(0, -1)
  const rest = path.startsWith(prefix) ? path.slice(prefix.length) : path
  try {
    return decodeURIComponent(rest)
  } catch {
    return rest
  }
}

export function httpCase(r: RouteRec, method: string, mode: Mode, rng: Rng, creds: Creds, n: number): HttpCase {
  const b = bodyCase(rng, r.bodyLimit)
  let path = concretePath(r.url, rng)
  let query = queryString(rng)
  const headers: Record<string, string> = { ...extraHeaders(rng) }
  if (b.contentType !== undefined) headers['content-type'] = b.contentType
  let remoteAddress = freshRemote()
  if (mode === 'junk') Object.assign(headers, junkAuthHeaders(rng))
  if (mode === 'valid') {
    if (has(r, 'bearer')) headers.authorization = `Bearer ${creds.bearer}`
    if (has(r, 'service') || (has(r, 'bearer') && rng.chance(0.2))) headers['x-revka-service-token'] = creds.service
    if (!isShutdownRoute(r, method)) remoteAddress = loopbackRemote(rng)
    if (has(r, 'signed')) {
      const signedUrl = creds.sign(path, r.decl.signed?.subject === 'wildcard' ? wildcardSubject(r.url, path) : path)
      const [p, q] = signedUrl.split('?')
      path = p
      query = `?${q}${query ? '&' + query.slice(1) : ''}`
    }
    if (r.auth.provider) {
      const signed = providerHeaders(r, method, b.body ?? Buffer.alloc(0))
      if (signed) {
        Object.assign(headers, signed.headers)
        if (signed.query) query = `?${signed.query}&hub.challenge=${enc(rng.pick(STRINGS))}${query ? '&' + query.slice(1) : ''}`
      }
    }
  }
  return {
    label: `#${n} ${mode} ${b.label}`,
    mode,
    method,
    url: path + query,
    headers,
    body: b.body,
    remoteAddress,
  }
}

/** one line a human can replay from */
export function describe(c: HttpCase): string {
  const body = c.body === undefined ? '(no body)' : JSON.stringify(c.body.subarray(0, 160).toString('latin1'))
  const hdrs = Object.entries(c.headers)
    .map(([k, v]) => `${k}: ${v.length > 60 ? v.slice(0, 60) + '…' : v}`)
    .join(' | ')
  return `${c.method} ${c.url.length > 200 ? c.url.slice(0, 200) + '…' : c.url} [${c.label}] from ${c.remoteAddress} {${hdrs}} body ${body}`
}
