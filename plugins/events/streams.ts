/**
 * The plugin's open SSE streams: a cap on how many may exist at once (overall, and per credential
 * so one token cannot take the overall cap from everyone), the count `/api/status` reports, and
 * closing them all at stop. (Releasing the socket of a stream that ended but could
 * not flush is startSse's job, `dropGraceMs`.)
 */
import { ConnectionCap, httpError, startSse, type RawReplyAccess, type RevkaRequest, type SseStream } from '@revka/plugin-sdk'
import type { EventsOptions } from './options.js'

export type StreamKind = 'events' | 'logs'

export class StreamRegistry {
  private open = new Map<SseStream, StreamKind>()
  /** events and logs streams together: one route group */
  private readonly perCredential: ConnectionCap

  constructor(private readonly opts: EventsOptions) {
    this.perCredential = new ConnectionCap({ what: 'event streams', perCredential: opts.maxStreamsPerCredential })
  }

  /** number of open streams of one kind (or all) */
  count(kind?: StreamKind): number {
    if (!kind) return this.open.size
    let n = 0
    for (const k of this.open.values()) if (k === kind) n++
    return n
  }

  /**
   * Refuse before the response head is written, so an over-cap client gets a JSON error it can
   * read instead of a stream that ends at once: 503 when the gateway is full, 429 when this
   * credential holds `maxStreamsPerCredential` already. Returns the credential's slot, which
   * `start` (called next, in the same synchronous step) ties to the stream.
   */
  reserve(req: RevkaRequest): () => void {
    if (this.open.size >= this.opts.maxStreams) {
      throw httpError(503, 'too_many_streams', `Too many open event streams (${this.opts.maxStreams}); retry later`, { retryAfter: 5 })
    }
    return this.perCredential.acquire(req)
  }

  /** Start an SSE response on `reply` and track it (and its credential slot) until it closes. */
  start(reply: RawReplyAccess, kind: StreamKind, slot: () => void): SseStream {
    const sse = startSse(reply, { keepAliveMs: this.opts.keepAliveMs, maxBufferedBytes: this.opts.maxBufferedBytes, dropGraceMs: this.opts.dropGraceMs })
    this.open.set(sse, kind)
    sse.onClose(() => {
      this.open.delete(sse)
      slot()
    })
    return sse
  }

  /** end every stream (plugin stop); their close callbacks release subscriptions and tails */
  closeAll(): void {
    for (const sse of [...this.open.keys()]) sse.close()
  }
}
