/**
 * Per-credential caps on long-lived connections (WebSockets, SSE streams): one token must not be
 * able to hold every socket or stream a route group offers (contract difference 18). A global cap
 * alone is shared by everyone, so one client filling it locks all others out; a cap per credential
 * keeps the damage to that credential.
 *
 * ```ts
 * const cap = new ConnectionCap({ what: '/ws/chat sockets', perCredential: 32 })
 * api.routes.add({ url: '/ws/chat', websocket: true, …, admit: cap.admit, handler: cap.guard(handler) })
 * // SSE: const release = cap.acquire(req); sse.onClose(release)
 * ```
 *
 * WebSockets are refused in `admit`, before the 101, with HTTP 429 and the contract error shape
 * (`{error, code: "too_many_connections", retry_after}` + `Retry-After`). Admission reserves the
 * slot at once — concurrent upgrades from one token are counted before any of them has opened —
 * and the guarded handler claims it. A reservation whose socket never opens (the client vanished
 * mid-handshake) lapses after `reserveMs`. A socket that reaches a guarded handler without a slot
 * (a route that forgot `admit`) is closed with {@link CLOSE_OVER_QUOTA} before its handler runs.
 */
import { httpError } from './errors.js'
import type { AuthContext, RevkaRequest, RevkaSocket, WebSocketHandler } from './types.js'

/** default WebSocket connections one credential may hold on one route group */
export const DEFAULT_SOCKETS_PER_CREDENTIAL = 32
/** default SSE streams one credential may hold on one route group */
export const DEFAULT_STREAMS_PER_CREDENTIAL = 16
/** close code of a socket that opened over its credential's cap (4000–4999: application; "429") */
export const CLOSE_OVER_QUOTA = 4429

/**
 * Whose quota a request uses. A paired device is counted by its device id, so a rotated token
 * does not start a fresh quota; other tokens (service, admin, a route's own token) by credential
 * id; requests without any (`loopback`, `pairing-off`) share one quota per surface — every local
 * process without a token is one credential, "loopback". A local caller that presents a token on a
 * `loopback|bearer` route is that token's credential (the kernel verifies it before letting the
 * request in as loopback), so a paired device on 127.0.0.1 keeps its own quota.
 */
export function credentialKey(auth: AuthContext): string {
  if (auth.deviceId) return `device:${auth.deviceId}`
  if (auth.credentialId) return `credential:${auth.credentialId}`
  return auth.via
}

/** The caps a `ConnectionCap` enforces. */
export interface ConnectionCapOptions {
  /** what is counted, for the refusal message, e.g. "/ws/chat sockets" */
  what: string
  /** connections one credential may hold at once (≥ 1) */
  perCredential: number
  /** optional cap over all credentials; over it → 503 */
  total?: number
  /** seconds a refused client is told to wait (default 5) */
  retryAfterSecs?: number
  /** ms an admitted upgrade keeps its slot while its socket opens (default 10 000) */
  reserveMs?: number
  /** clock, for tests */
  now?: () => number
}

/** Counts WebSockets or SSE streams per credential on one route group and refuses those over the cap (see the module comment for use). */
export class ConnectionCap {
  private readonly live = new Map<string, number>()
  /** expiry times of admitted upgrades whose socket has not reached the handler yet */
  private readonly pending = new Map<string, number[]>()
  private liveTotal = 0
  private readonly now: () => number

  constructor(private readonly opts: ConnectionCapOptions) {
    if (!(opts.perCredential >= 1)) throw new RangeError(`ConnectionCap(${opts.what}): perCredential must be at least 1`)
    this.now = opts.now ?? Date.now
  }

  /** connections (and reservations) held by one credential key, or open connections overall */
  count(key?: string): number {
    if (key === undefined) return this.liveTotal
    return (this.live.get(key) ?? 0) + this.pendingOf(key).length
  }

  /**
   * A WebSocket route's `admit`: throws 429 (or 503 over `total`) when the credential is at its
   * cap, else reserves a slot for the socket about to open. Put it after the route's own checks.
   */
  readonly admit = (req: RevkaRequest<undefined>): void => {
    const key = credentialKey(req.auth)
    this.refuseIfFull(key)
    const list = this.pendingOf(key)
    list.push(this.now() + (this.opts.reserveMs ?? 10_000))
    this.pending.set(key, list)
  }

  /**
   * Count one SSE stream (or any connection opened synchronously in its handler): throws like
   * `admit` when full, else returns the release to call when it closes (safe to call twice).
   */
  acquire(req: RevkaRequest): () => void {
    const key = credentialKey(req.auth)
    this.refuseIfFull(key)
    return this.hold(key)
  }

  /**
   * Wrap a WebSocket handler: the socket takes the slot its `admit` reserved and gives it back
   * when it closes. Without a reservation (no `admit` on the route, or it lapsed) it still gets one
   * while the credential is under its cap; over it, the socket is closed with CLOSE_OVER_QUOTA.
   */
  guard(handler: WebSocketHandler): WebSocketHandler {
    return (socket: RevkaSocket, req: RevkaRequest<undefined>) => {
      const key = credentialKey(req.auth)
      if (!this.claim(key)) {
        if (this.count(key) >= this.opts.perCredential) {
          try {
            socket.send(JSON.stringify({ type: 'error', code: 'too_many_connections', error: this.message() }))
          } catch {}
          socket.close(CLOSE_OVER_QUOTA, 'too many connections for this credential')
          return
        }
      }
      const release = this.hold(key)
      // a socket that closed before this handler ran will not emit close again
      if (socket.readyState > 1) {
        release()
        return
      }
      socket.on('close', release)
      return handler(socket, req)
    }
  }

  private refuseIfFull(key: string): void {
    const retryAfter = this.opts.retryAfterSecs ?? 5
    if (this.count(key) >= this.opts.perCredential) throw httpError(429, 'too_many_connections', this.message(), { retryAfter })
    const total = this.opts.total
    if (total !== undefined && this.liveTotal + this.pendingTotal() >= total) {
      throw httpError(503, 'too_many_connections', `Too many ${this.opts.what} open (at most ${total}); retry later`, { retryAfter })
    }
  }

  private message(): string {
    return `Too many ${this.opts.what} for this credential (at most ${this.opts.perCredential}); close one first`
  }

  /** take a reservation of `key`, if it has one */
  private claim(key: string): boolean {
    const list = this.pendingOf(key)
    if (!list.length) return false
    list.shift()
    if (!list.length) this.pending.delete(key)
    return true
  }

  private hold(key: string): () => void {
    this.live.set(key, (this.live.get(key) ?? 0) + 1)
    this.liveTotal++
    let held = true
    return () => {
      if (!held) return
      held = false
      this.liveTotal--
      const n = (this.live.get(key) ?? 1) - 1
      if (n > 0) this.live.set(key, n)
      else this.live.delete(key)
    }
  }

  /** the key's unexpired reservations, oldest first (expired ones are dropped here) */
  private pendingOf(key: string): number[] {
    const list = this.pending.get(key)
    if (!list) return []
    const now = this.now()
    while (list.length && list[0] <= now) list.shift()
    if (!list.length) this.pending.delete(key)
    return list
  }

  private pendingTotal(): number {
    let n = 0
    for (const key of [...this.pending.keys()]) n += this.pendingOf(key).length
    return n
  }
}
