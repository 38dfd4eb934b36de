/**
 * Checks on the request head that run before anything else looks at the request (root `onRequest`,
 * first hook; WebSocket upgrades pass through it too, via @fastify/websocket's `routing`):
 *
 * - **Header count.** Node parses only the first `maxHeadersCount` headers and silently drops the
 *   rest — a forwarding header appended by a proxy after 1,000 junk headers vanished and the
 *   request looked local. Node's raw list is capped as well (it stops collecting somewhere past the
 *   cap), so no check on the parsed headers can be complete: a request whose header count REACHES
 *   the cap is refused with 431. `cap - 1` headers are fine; at `cap` we cannot know whether more
 *   were dropped.
 * - **Host.** Two `Host` headers (Node keeps the first) would let the gateway and a proxy that
 *   reads the last disagree on the target: 400.
 * - **Path spelling.** The router decodes `%XX` before matching, so `/%61pi/status` reached
 *   `/api/status` while a front proxy's rule for `/api/` did not see it. A path that spells an
 *   unreserved character (ALPHA / DIGIT / - . _ ~) percent-encoded, an encoded separator
 *   (`%2F`, `%5C`) or an encoded percent followed by two hex digits (double encoding) is refused
 *   with 400 rather than normalised: then the gateway and any proxy in front see one and the same
 *   path, and nothing downstream can decode it a second time into something else.
 */
import type { IncomingMessage } from 'node:http'
import type { FastifyRequest } from 'fastify'
import { routeOf } from './route-policy.js'

/** Node's default (2,000 raw entries); set explicitly on every server the kernel opens. */
export const MAX_HEADERS = 1000

export interface HeadProblem {
  status: number
  code: string
  message: string
}

const TOO_MANY: HeadProblem = {
  status: 431,
  code: 'too_many_headers',
  message: `Too many request headers: at most ${MAX_HEADERS - 1} are accepted`,
}
const TWO_HOSTS: HeadProblem = { status: 400, code: 'duplicate_host', message: 'More than one Host header' }
const BAD_PATH: HeadProblem = {
  status: 400,
  code: 'bad_url',
  message: 'Non-canonical path: unreserved characters, "/", "\\" and "%" followed by two hex digits must not be percent-encoded',
}

/** Header count and duplicate Host, from the raw list (the parsed object hides both). */
export function headerProblem(raw: IncomingMessage): HeadProblem | undefined {
  const list = raw.rawHeaders
  if (list.length >= MAX_HEADERS * 2) return TOO_MANY
  let hosts = 0
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]
    if (name.length === 4 && name.toLowerCase() === 'host' && ++hosts > 1) return TWO_HOSTS
  }
  return undefined
}

/**
 * `%` + the code of an unreserved character, `/` (2F), `\` (5C), or `%25` followed by two hex
 * digits. Unreserved: 0-9 (30-39), A-Z (41-5A), a-z (61-7A), `-` (2D), `.` (2E), `_` (5F), `~` (7E).
 */
const NON_CANONICAL = /%(?:3[0-9]|4[1-9a-f]|5[0-9a]|6[1-9a-f]|7[0-9a]|2[def]|5[fc]|7e|25[0-9a-f]{2})/i

/**
 * The static part of the matched route's URL (path prefix included) when the route declared
 * `encodedWildcard` (Fastify has routed the request before the first onRequest hook runs).
 */
export function encodedWildcardStatic(request: Pick<FastifyRequest, 'routeOptions'>): string | undefined {
  if (routeOf(request)?.decl.encodedWildcard !== true) return undefined
  const url = request.routeOptions.url
  return url?.endsWith('*') ? url.slice(0, -1) : undefined
}

/** The same without `%2F`: what a route's encoded wildcard (`encodedWildcard`) may carry. */
const NON_CANONICAL_BUT_SLASH = /%(?:3[0-9]|4[1-9a-f]|5[0-9a]|6[1-9a-f]|7[0-9a]|2[de]|5[fc]|7e|25[0-9a-f]{2})/i

/**
 * The path part of a request target, checked as sent (before any decoding). `wildcardStatic` is
 * the static part (path prefix included) of a route that declared `encodedWildcard`: the path
 * must then spell that part literally, and only what follows it may carry `%2F` — one encoded
 * kref segment (DOMAIN §1.3). Every other escape stays refused there too.
 */
export function pathProblem(url: string | undefined, wildcardStatic?: string): HeadProblem | undefined {
  if (!url) return undefined
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  // the common case has no escape at all: one indexOf, no regex
  if (path.indexOf('%') === -1) return undefined
  if (wildcardStatic !== undefined && path.startsWith(wildcardStatic)) {
    return NON_CANONICAL.test(wildcardStatic) || NON_CANONICAL_BUT_SLASH.test(path.slice(wildcardStatic.length)) ? BAD_PATH : undefined
  }
  return NON_CANONICAL.test(path) ? BAD_PATH : undefined
}
