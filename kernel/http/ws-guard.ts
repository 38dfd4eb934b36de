/**
 * The socket a plugin's WebSocket handler receives, with every listener the plugin adds run so that
 * its failure stays with that socket. `ws` emits 'message' from the TCP socket's 'data' handler: a
 * listener that throws (a recursive walk over a frame nested 150,000 deep overflows the stack) was
 * an uncaught exception, and an async listener's rejection an unhandled rejection — either ended
 * the gateway for everyone. Here the failure is logged (rate-limited, error name and code only: the
 * message can quote the frame, e.g. JSON.parse's), the socket is closed with 1011, and the process
 * keeps serving.
 *
 * Why a Proxy over the real `ws` socket rather than a wrapper class: plugins get the socket as
 * `RevkaSocket`, but some use more of `ws` (ping, terminate, bufferedAmount, instanceof), and a
 * Proxy keeps all of it while intercepting only the methods that add or remove listeners.
 * Overriding `emit` on the instance would catch synchronous throws only, never a listener's
 * rejected promise, and would patch an object `ws` itself calls into; EventEmitter's own
 * `captureRejections` can only be chosen when the emitter is constructed, which `ws` does.
 * The kernel's own listeners (keep-alive, tracking) stay on the raw socket.
 */
import type { Logger } from 'pino'
import type { WebSocket } from 'ws'
import { isThenable } from '../util/thenable.js'

/** close code for a socket whose plugin listener failed (RFC 6455: internal error) */
export const CLOSE_LISTENER_FAILED = 1011

type Listener = (...args: any[]) => unknown

const ADD = new Set(['on', 'addListener', 'once', 'prependListener', 'prependOnceListener'])
const REMOVE = new Set(['off', 'removeListener'])

export interface ListenerFailure {
  plugin: string
  route: string
  event: string
  err: unknown
}

/**
 * At most `perWindow` lines per window at error level; then one line saying further ones are
 * suppressed, and one with their count when the window ends. A client can fail a plugin's listener
 * on purpose once per socket, so the log must not grow with it.
 */
export class ListenerFailureLog {
  private windowStart = -Infinity
  private logged = 0
  private suppressed = 0
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly log: Logger,
    private readonly perWindow = 10,
    private readonly windowMs = 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  note(f: ListenerFailure): void {
    const now = this.clock()
    if (now - this.windowStart >= this.windowMs) this.rollover(now)
    if (this.logged < this.perWindow) {
      this.logged++
      const e = f.err as { name?: unknown; code?: unknown } | null
      this.log.error(
        {
          plugin: f.plugin,
          route: f.route,
          event: f.event,
          error: typeof e?.name === 'string' ? e.name : typeof f.err,
          ...(typeof e?.code === 'string' ? { error_code: e.code } : {}),
          where: frames(f.err),
        },
        `REVKA_ERR_WS_LISTENER: a plugin's WebSocket ${f.event === 'handler' ? 'handler' : 'listener'} failed; its socket was closed with 1011`,
      )
      return
    }
    if (this.suppressed++ === 0) {
      this.log.error(
        `REVKA_ERR_WS_LISTENER: more than ${this.perWindow} listener failures in ${Math.round(this.windowMs / 1000)} s; suppressing further lines until the window ends`,
      )
      this.timer = setTimeout(() => this.rollover(this.clock()), Math.max(0, this.windowStart + this.windowMs - now))
      this.timer.unref()
    }
  }

  private rollover(now: number): void {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = null
    }
    if (this.suppressed) this.log.error({ suppressed: this.suppressed }, `REVKA_ERR_WS_LISTENER: suppressed ${this.suppressed} more`)
    this.windowStart = now
    this.logged = 0
    this.suppressed = 0
  }
}

/** where it failed, without the message (which may quote the payload): the top stack frames */
function frames(err: unknown): string[] | undefined {
  const stack = (err as { stack?: unknown } | null)?.stack
  if (typeof stack !== 'string') return undefined
  return stack
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .slice(0, 3)
    .map((l) => l.trim())
}

/**
 * The socket to hand to a plugin: listeners added through it are guarded, everything else is the
 * real socket. `onFailure` runs once per failure; the socket is closed once.
 */
export function guardSocket(socket: WebSocket, onFailure: (event: string, err: unknown) => void): WebSocket {
  // per event, the guarded version of each original listener: removing the original removes it
  const wrapped = new Map<string | symbol, WeakMap<Listener, Listener>>()
  let failed = false
  const fail = (event: string, err: unknown): void => {
    try {
      onFailure(event, err)
    } catch {
      /* the log must not fail the socket twice */
    }
    if (failed) return
    failed = true
    try {
      socket.close(CLOSE_LISTENER_FAILED, 'internal error')
    } catch {
      /* already closing */
    }
  }
  const guard = (event: string | symbol, fn: Listener): Listener => {
    let byFn = wrapped.get(event)
    if (!byFn) wrapped.set(event, (byFn = new WeakMap()))
    let g = byFn.get(fn)
    if (!g) {
      const name = String(event)
      g = function (this: unknown, ...args: unknown[]) {
        try {
          const r = fn.apply(this, args)
          if (isThenable(r)) Promise.resolve(r).catch((err) => fail(name, err))
          return r
        } catch (err) {
          fail(name, err)
        }
      }
      byFn.set(fn, g)
    }
    return g
  }
  // bound methods, cached so `socket.send === socket.send` still holds (keyed by the method
  // itself too, so one replaced on the instance is not served stale)
  const bound = new Map<string | symbol, [Listener, Listener]>()
  const proxy: WebSocket = new Proxy(socket, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target)
      if (typeof v !== 'function') return v
      const hit = bound.get(prop)
      if (hit && hit[0] === v) return hit[1]
      let b: Listener
      if (ADD.has(prop as string)) {
        b = (event: string | symbol, fn: Listener) => {
          if (typeof fn === 'function') (target as any)[prop](event, guard(event, fn))
          else (target as any)[prop](event, fn) // let ws/EventEmitter throw its own TypeError
          return proxy
        }
      } else if (REMOVE.has(prop as string)) {
        b = (event: string | symbol, fn: Listener) => {
          ;(target as any)[prop](event, wrapped.get(event)?.get(fn) ?? fn)
          return proxy
        }
      } else {
        // the real method on the real socket; a chainable one returns the proxy, not the raw socket
        b = (...args: unknown[]) => {
          const r = (v as Listener).apply(target, args)
          return r === target ? proxy : r
        }
      }
      bound.set(prop, [v as Listener, b])
      return b
    },
  })
  return proxy
}
