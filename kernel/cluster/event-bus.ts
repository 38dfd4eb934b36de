/**
 * The event bus across nodes (issue 18): every event goes through one bounded Redis Stream, and
 * every node — the one that emitted it included — delivers what it reads from that stream to its
 * local subscribers. So all nodes see the same events in the same order with the same ids, and a
 * client that reconnects to another node with `Last-Event-ID` is replayed from that node's copy of
 * the stream (seeded from the stream's tail at start).
 *
 * Ids stay the small increasing integers of the single-node bus: a Lua step takes the next number
 * from a counter and appends the entry under it (`<n>-0`). The counter never goes below the
 * emitting node's newest id, so after a Redis restart (the stream and counter gone) numbering
 * carries on instead of starting again at 1. `emit` stays synchronous as the SDK says; the
 * returned event's `id` is filled in once the stream has taken it. While Redis is away, events
 * wait in a bounded queue, in order, and are sent when it is back; past the bound the oldest are
 * dropped and counted (`dropped`, in /health).
 */
import type { AnyEvent } from '@revka/plugin-sdk'
import { KernelEventBus } from '../events/bus.js'
import type { RedisClient } from './clients.js'

export const EVENTS_STREAM = 'revka:events'
const EVENTS_SEQ = 'revka:events:seq'
/** events held while Redis is unreachable */
export const MAX_QUEUED_EVENTS = 10_000
const READ_BLOCK_MS = 2000
const RETRY_MS = 250

/** events sent in one append: one round trip for a burst, still in emit order */
const APPEND_BATCH = 256

/** ARGV: the emitter's newest id (floor), MAXLEN, then the events in order; returns the first id */
const APPEND = `
local n = tonumber(redis.call('GET', KEYS[2]) or '0')
local floor = tonumber(ARGV[1])
if n < floor then n = floor end
local first = n + 1
for i = 3, #ARGV do
  n = n + 1
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], n .. '-0', 'e', ARGV[i])
end
redis.call('SET', KEYS[2], n)
return first`

export class ClusterEventBus extends KernelEventBus {
  private redis?: RedisClient
  private reader?: RedisClient
  private queue: AnyEvent[] = []
  private sending = false
  /** queued events at the front that the append in progress is sending */
  private inflight = 0
  private stopped = false
  /** events dropped because the queue was full while Redis was away */
  dropped = 0

  constructor(
    onSubscriberError: (err: Error) => void,
    private readonly maxLen: number,
  ) {
    super(onSubscriberError, maxLen)
  }

  /** connect to the stream: seed the replay ring from its tail, then follow it */
  async attach(redis: RedisClient, reader: RedisClient): Promise<void> {
    this.redis = redis
    this.reader = reader
    const tail = await redis.xrevrange(EVENTS_STREAM, '+', '-', 'COUNT', this.maxLen)
    for (const entry of tail.reverse()) this.take(entry)
    void this.follow()
  }

  get queued(): number {
    return this.queue.length
  }

  override emit(type: string, fields: Record<string, unknown>): any {
    const event = { ...fields, type, id: 0, timestamp: new Date().toISOString() } as AnyEvent
    if (this.queue.length >= MAX_QUEUED_EVENTS) {
      // the oldest not already being sent; when all are in flight, this one
      this.dropped++
      if (this.queue.length <= this.inflight) return event
      this.queue.splice(this.inflight, 1)
    }
    this.queue.push(event)
    void this.send()
    return event
  }

  stop(): void {
    this.stopped = true
  }

  /**
   * What has queued up goes in one atomic append (up to APPEND_BATCH), in emit order: one round
   * trip per burst, not per event — one at a time capped a node at one event per Redis round trip.
   * A failure waits and retries the same batch; a connection lost after the script ran can make
   * that retry append the batch a second time (at least once, never lost while queued).
   */
  private async send(): Promise<void> {
    if (this.sending || !this.redis) return
    this.sending = true
    try {
      while (this.queue.length && !this.stopped) {
        const batch = this.queue.slice(0, APPEND_BATCH)
        this.inflight = batch.length
        const bodies = batch.map(({ id: _id, ...body }) => JSON.stringify(body))
        try {
          const first = Number(await this.redis.eval(APPEND, 2, EVENTS_STREAM, EVENTS_SEQ, this.lastId, this.maxLen, ...bodies))
          batch.forEach((event, i) => {
            ;(event as { id: number }).id = first + i
          })
          this.queue.splice(0, batch.length)
        } catch {
          await sleep(RETRY_MS)
        } finally {
          this.inflight = 0
        }
      }
    } finally {
      this.sending = false
    }
  }

  private async follow(): Promise<void> {
    while (!this.stopped) {
      try {
        const res = await this.reader!.xread('COUNT', 512, 'BLOCK', READ_BLOCK_MS, 'STREAMS', EVENTS_STREAM, `${this.lastId}-0`)
        for (const [, entries] of res ?? []) for (const entry of entries) this.take(entry)
      } catch {
        if (!this.stopped) await sleep(RETRY_MS)
      }
    }
  }

  private take([streamId, fields]: [string, string[]]): void {
    const id = Number(streamId.slice(0, streamId.indexOf('-')))
    if (!(id > this.lastId)) return
    const i = fields.indexOf('e')
    if (i < 0) return
    let body: Record<string, unknown>
    try {
      body = JSON.parse(fields[i + 1])
    } catch {
      return
    }
    this.deliver({ ...body, id } as AnyEvent)
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref())
}
