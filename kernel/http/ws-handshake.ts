/**
 * The WebSocket handshake checks `ws` makes before it upgrades (RFC 6455 §4.2.1), made first, in
 * the gatekeeper: `ws` refuses a bad handshake with a text/html 400, and @fastify/websocket answers
 * a plain GET with an `Upgrade` header but no `Connection: upgrade` with an empty 404. Both broke
 * the contract's one error shape (found by test/reliability/fuzz.routes.test.ts).
 */
import type { FastifyRequest } from 'fastify'

const KEY = /^[+/0-9A-Za-z]{22}==$/
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** `ws`'s subprotocol grammar: comma-separated tokens, optional spaces/tabs, no empty or repeated ones */
function protocolsValid(header: string): boolean {
  const seen = new Set<string>()
  for (const part of header.split(',')) {
    const p = part.replace(/^[ \t]+|[ \t]+$/g, '')
    if (!TOKEN.test(p) || seen.has(p)) return false
    seen.add(p)
  }
  return true
}

export interface HandshakeProblem {
  status: number
  code: string
  message: string
}

const bad = (message: string): HandshakeProblem => ({ status: 400, code: 'bad_handshake', message })

/** Why this request cannot be upgraded, or null when `ws` will accept the handshake. */
export function handshakeProblem(request: FastifyRequest): HandshakeProblem | null {
  // @fastify/websocket marks requests that arrived through the server's 'upgrade' event; Node
  // raises that only with `Connection: upgrade`, so a plain GET saying `Upgrade:` is not one
  const viaUpgrade = (request as { ws?: boolean }).ws
  const connection = String(request.headers.connection ?? '')
  if (viaUpgrade === false || (viaUpgrade === undefined && !/(^|,)\s*upgrade\s*(,|$)/i.test(connection))) {
    return { status: 426, code: 'upgrade_required', message: 'This route is a WebSocket endpoint; send Connection: Upgrade and Upgrade: websocket' }
  }
  const key = request.headers['sec-websocket-key']
  if (typeof key !== 'string' || !KEY.test(key)) return bad('Missing or invalid Sec-WebSocket-Key header')
  const version = Number(request.headers['sec-websocket-version'])
  if (version !== 13 && version !== 8) return bad('Missing or invalid Sec-WebSocket-Version header (use 13)')
  const protocols = request.headers['sec-websocket-protocol']
  if (protocols !== undefined && !protocolsValid(String(protocols))) return bad('Invalid Sec-WebSocket-Protocol header')
  return null
}
