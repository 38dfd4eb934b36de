/**
 * The plugin's open SSE streams: a cap on how many may exist at once, the count `/api/status`
 * reports, closing them all at stop, and releasing the socket of a stream that ended but could not
 * flush (a client that stopped reading never drains its socket, so the bytes queued for it would
 * otherwise live as long as the TCP connection).
 */
import { httpError, startSse, type RawReplyAccess, type SseStream } from '@revka/plugin-sdk'
import type { EventsOptions } from './options.js'

export type StreamKind = 'events' | 'logs'

export class StreamRegistry {
  private open = new Map<SseStream, StreamKind>()

  constructor(private readonly opts: EventsOptions) {}

  /** number of open streams of one kind (or all) */
  count(kind?: StreamKind): number {
    if (!kind) return this.open.size
    let n = 0
    for (const k of this.open.values()) if (k === kind) n++
    return n
  }

  /**
   * Refuse before the response head is written, so an over-cap client gets a JSON 503 it can read
   * instead of a stream that ends at once.
   */
  checkCapacity(): void {
    if (this.open.size >= this.opts.maxStreams) {
      throw httpError(503, 'too_many_streams', `Too many open event streams (${this.opts.maxStreams}); retry later`, { retryAfter: 5 })
    }
  }

  /** Start an SSE response on `reply` and track it until it closes. */
  start(reply: RawReplyAccess, kind: StreamKind): SseStream {
    // captured now: the response lets go of its socket once it has ended
    const socket = reply.raw.socket
    const sse = startSse(reply, { keepAliveMs: this.opts.keepAliveMs, maxBufferedBytes: this.opts.maxBufferedBytes })
    this.open.set(sse, kind)
    sse.onClose(() => {
      this.open.delete(sse)
      if (!socket || socket.destroyed) return
      // `end()` hands the unsent bytes to the socket and the response counts as finished, but a
      // client that never reads keeps them (and the socket) alive for as long as it likes
      const onSocketClose = () => clearTimeout(timer)
      const timer = setTimeout(() => {
        // keep-alive sockets serve many streams: do not leave a listener per stream behind
        socket.removeListener('close', onSocketClose)
        if (!socket.destroyed && socket.writableLength > 0) socket.destroy()
      }, this.opts.dropGraceMs)
      timer.unref()
      socket.once('close', onSocketClose)
    })
    return sse
  }

  /** end every stream (plugin stop); their close callbacks release subscriptions and tails */
  closeAll(): void {
    for (const sse of [...this.open.keys()]) sse.close()
  }
}
