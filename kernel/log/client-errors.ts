/**
 * Client errors (malformed HTTP, a broken chunked body, a client that hung up mid-request) are the
 * client's problem, and anyone can cause them: they are logged at debug level, without a stack,
 * and at most `perWindow` lines per window. The first error over the limit logs one line saying
 * that further ones are suppressed; when the window closes, one line says how many were.
 */
import type { Logger } from 'pino'

export interface ClientErrorLogOptions {
  perWindow?: number
  windowMs?: number
  clock?: () => number
}

export class ClientErrorLog {
  private readonly perWindow: number
  private readonly windowMs: number
  private readonly clock: () => number
  private windowStart = -Infinity
  private logged = 0
  private suppressed = 0
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly log: Logger,
    opts: ClientErrorLogOptions = {},
  ) {
    this.perWindow = opts.perWindow ?? 10
    this.windowMs = opts.windowMs ?? 60_000
    this.clock = opts.clock ?? Date.now
  }

  /** one client error: `code` is the parser's or the socket's error code, never a stack */
  note(what: string, fields: { code?: string; url?: string; peer?: string }): void {
    if (!this.log.isLevelEnabled('debug')) return
    const now = this.clock()
    if (now - this.windowStart >= this.windowMs) this.rollover(now)
    if (this.logged < this.perWindow) {
      this.logged++
      this.log.debug(fields, `client error: ${what}`)
      return
    }
    if (this.suppressed++ === 0) {
      this.log.debug(`client errors: more than ${this.perWindow} in ${Math.round(this.windowMs / 1000)} s; suppressing further lines until the window ends`)
      // the count is reported when the window ends even if no further error arrives to notice it
      this.timer = setTimeout(() => this.rollover(this.clock()), Math.max(0, this.windowStart + this.windowMs - now))
      this.timer.unref()
    }
  }

  private rollover(now: number): void {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = null
    }
    if (this.suppressed) this.log.debug({ suppressed: this.suppressed }, `client errors: suppressed ${this.suppressed} more`)
    this.windowStart = now
    this.logged = 0
    this.suppressed = 0
  }

  /** the pending summary, now (at shutdown) */
  flush(): void {
    if (this.timer) this.rollover(this.clock())
  }
}
