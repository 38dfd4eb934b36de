/**
 * Client identity. Loopback means the socket peer is 127/8, ::1 or ::ffff:127.x AND no forwarding
 * header is present (a same-host proxy or tunnel forwards from 127.0.0.1). The rate-limit key may
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

const FORWARDING_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'] as const

export function hasForwardingHeaders(headers: IncomingMessage['headers']): boolean {
  return FORWARDING_HEADERS.some((h) => headers[h] !== undefined)
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
    const parts = joined.split(',').map((s) => s.trim()).filter(Boolean)
    for (let i = parts.length - 1; i >= 0; i--) {
      const p = parts[i].replace(/^\[|\](:\d+)?$/g, '')
      if (isIP(p)) return p
    }
  }
  const real = headers['x-real-ip']
  const r = (Array.isArray(real) ? real[0] : real)?.trim()
  return r && isIP(r) ? r : undefined
}

export function clientIdentity(raw: IncomingMessage, trustForwarded: boolean): ClientIdentity {
  const peer = raw.socket?.remoteAddress ?? 'unknown'
  const isLoopback = isLoopbackAddress(peer) && !hasForwardingHeaders(raw.headers)
  const key = (trustForwarded && rightmostForwarded(raw.headers)) || peer
  return { key, isLoopback, peer }
}

/** Hosts that count as loopback for the pairing-off start guard. */
export function isLoopbackHost(host: string): boolean {
  return ['127.0.0.1', 'localhost', '::1', '[::1]', '0:0:0:0:0:0:0:1'].includes(host) || isLoopbackAddress(host)
}
