/**
 * Client identity. Loopback means the socket peer is 127/8, ::1 or ::ffff:127.x AND no forwarding
 * header is present (a same-host proxy or tunnel forwards from 127.0.0.1), or the request came in
 * on the admin unix socket (only this machine's user can connect to it). The rate-limit key may
 * come from forwarded headers when the operator trusts them; it never makes a request local.
 */
import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'

export function isLoopbackAddress(addr: string | undefined): boolean {
  if (!addr) return false
  if (addr === '::1' || addr === '0:0:0:0:0:0:0:1') return true
  const v4 = addr.startsWith('::ffff:') ? addr.slice(7) : addr
  return isIP(v4) === 4 && v4.startsWith('127.')
}

/**
 * Headers that say "a proxy forwarded this". Every `X-Forwarded-*` counts (-For, -Host, -Proto,
 * -Port...), and the client-address headers of common proxies and CDNs.
 */
const FORWARDING_HEADERS = new Set([
  'forwarded',
  'x-real-ip',
  'via',
  'true-client-ip',
  'cf-connecting-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'fastly-client-ip',
])

export function isForwardingHeader(name: string): boolean {
  const n = name.toLowerCase()
  return n.startsWith('x-forwarded-') || FORWARDING_HEADERS.has(n)
}

/**
 * True when any forwarding header appears anywhere in the raw header list — whatever its case,
 * however often, even empty. `rawHeaders`, not `headers`: the parsed object can miss a header that
 * the raw list still has (Node parses only the first `maxHeadersCount`; requests reaching that cap
 * are refused earlier, in kernel/http/request-checks.ts, since the raw list is capped too).
 */
export function hasForwardingHeaders(rawHeaders: readonly string[]): boolean {
  for (let i = 0; i < rawHeaders.length; i += 2) if (isForwardingHeader(rawHeaders[i])) return true
  return false
}

/** Set on sockets accepted by the admin unix socket (kernel/http/admin-socket.ts). */
export const ADMIN_SOCKET = Symbol.for('revka.admin-socket')

export function viaAdminSocket(raw: IncomingMessage): boolean {
  return (raw.socket as unknown as Record<symbol, unknown> | undefined)?.[ADMIN_SOCKET] === true
}

export interface ClientIdentity {
  key: string
  isLoopback: boolean
  peer: string
}

function rightmostForwarded(headers: IncomingMessage['headers']): string | undefined {
  const xff = headers['x-forwarded-for']
  const joined = Array.isArray(xff) ? xff.join(',') : xff
  if (joined) {
    const parts = joined
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    for (let i = parts.length - 1; i >= 0; i--) {
      const p = parts[i].replace(/^\[|\](:\d+)?$/g, '')
      if (isIP(p)) return p
    }
  }
  const real = headers['x-real-ip']
  const r = (Array.isArray(real) ? real[0] : real)?.trim()
  return r && isIP(r) ? r : undefined
}

const ADMIN_IDENTITY: ClientIdentity = Object.freeze({ key: 'admin-socket', isLoopback: true, peer: 'admin-socket' })

/**
 * `tcpLoopback: false` (`[gateway] admin_only_on_socket`) means no TCP request is local, whatever
 * its peer: loopback routes answer only on the admin socket.
 */
export function clientIdentity(raw: IncomingMessage, trustForwarded: boolean, tcpLoopback = true): ClientIdentity {
  if (viaAdminSocket(raw)) return ADMIN_IDENTITY
  const peer = raw.socket?.remoteAddress ?? 'unknown'
  const isLoopback = tcpLoopback && isLoopbackAddress(peer) && !hasForwardingHeaders(raw.rawHeaders)
  const key = (trustForwarded && rightmostForwarded(raw.headers)) || peer
  return { key, isLoopback, peer }
}

/** Hosts that count as loopback for the pairing-off start guard. */
export function isLoopbackHost(host: string): boolean {
  return ['127.0.0.1', 'localhost', '::1', '[::1]', '0:0:0:0:0:0:0:1'].includes(host) || isLoopbackAddress(host)
}
