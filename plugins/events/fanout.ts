/**
 * Delivery of bus events to every open `/api/events` stream, built for many subscribers:
 *
 * - one bus subscription for all streams, and each event serialised once (not once per stream);
 * - events are flushed in batches and each stream gets a batch as ONE write: the per-write syscall
 *   (with, on loopback, the receiver's wake-up), not the bytes, is what a fan-out costs. A batch
 *   goes out in the turn its first event was emitted (`setImmediate`) unless the previous one left
 *   less than `flushIntervalMs` ago; then it waits out the rest of that interval. A quiet gateway
 *   adds no delay, and a busy one makes at most 1000/flushIntervalMs writes per stream per second
 *   however many events it fans out. A batch of `FLUSH_BYTES` does not wait: its syscall is already
 *   paid for by its size, and holding large bursts back would only hand each stream bigger writes
 *   than a reading client would ever have had queued (and count against its slow-consumer limit);
 * - streams with the same `?types=` filter share one Buffer per flush (most share "all"), already
 *   framed as the HTTP chunk each socket is handed.
 *
 * A stream only receives events emitted after it subscribed (`after`): the route replays older ones
 * from the bus's ring itself, so an event still waiting in the batch when a client resumes is sent
 * once, by the replay, not again by the flush.
 */
import { formatSseFrame, SseFrames, type AnyEvent, type Disposer, type EventBus, type SseStream } from '@revka/plugin-sdk'

interface Pending {
  id: number
  type: string
  frame: string
}

/** a batch this large (in UTF-16 units, about bytes) is written at once, interval or not */
const FLUSH_BYTES = 64 * 1024

interface Subscriber {
  sse: SseStream
  types: ReadonlySet<string> | null
  /** streams with equal filters share a key, and so a Buffer */
  key: string
  /** highest event id this stream already has (or never wants) */
  after: number
}

/** key of a `?types=` filter: order and duplicates do not change what a stream receives */
function filterKey(types: ReadonlySet<string> | null): string {
  return types ? [...types].sort().join(',') : '*'
}

export class EventFanout {
  private subs = new Set<Subscriber>()
  private pending: Pending[] = []
  private pendingSize = 0
  private scheduled = false
  private timer: ReturnType<typeof setTimeout> | null = null
  private lastFlush = -Infinity
  private off: Disposer | null = null

  constructor(
    private readonly bus: EventBus,
    private readonly flushIntervalMs: number,
  ) {}

  /**
   * Deliver every event with an id above `after` to `sse`, filtered by `types` (null: all), until
   * the stream closes.
   */
  add(sse: SseStream, types: ReadonlySet<string> | null, after: number): void {
    const sub: Subscriber = { sse, types, key: filterKey(types), after }
    this.subs.add(sub)
    // subscribed only while someone listens: an idle gateway formats no frames
    this.off ??= this.bus.subscribe(this.onEvent)
    sse.onClose(() => {
      this.subs.delete(sub)
      if (this.subs.size === 0 && this.off) {
        this.off()
        this.off = null
        this.pending = []
        this.pendingSize = 0
      }
    })
  }

  /** write what is batched now (the plugin stops: streams end after the events they were owed) */
  flush(): void {
    const batch = this.pending
    if (!batch.length) return
    this.pending = []
    this.pendingSize = 0
    const first = batch[0].id
    const shared = new Map<string, SseFrames | null>()
    for (const sub of this.subs) {
      let bytes: SseFrames | null | undefined
      if (sub.after >= first) {
        // subscribed while this batch was filling: its own slice (rare, so not shared)
        bytes = encode(batch, sub.types, sub.after)
      } else {
        bytes = shared.get(sub.key)
        if (bytes === undefined) shared.set(sub.key, (bytes = encode(batch, sub.types, 0)))
      }
      if (bytes) sub.sse.sendFrame(bytes)
    }
  }

  private onEvent = (event: AnyEvent): void => {
    const frame = formatSseFrame(event, { id: event.id })
    this.pending.push({ id: event.id, type: event.type, frame })
    this.pendingSize += frame.length
    const full = this.pendingSize >= FLUSH_BYTES
    if (this.scheduled) {
      if (!full || !this.timer) return
      // waiting out the interval, but the batch is big enough to go now
      clearTimeout(this.timer)
      this.timer = null
      setImmediate(this.scheduledFlush)
      return
    }
    this.scheduled = true
    const wait = full ? 0 : this.lastFlush + this.flushIntervalMs - performance.now()
    if (wait > 0) this.timer = setTimeout(this.scheduledFlush, wait)
    else setImmediate(this.scheduledFlush)
  }

  private scheduledFlush = (): void => {
    this.scheduled = false
    this.timer = null
    this.lastFlush = performance.now()
    this.flush()
  }
}

function encode(batch: Pending[], types: ReadonlySet<string> | null, after: number): SseFrames | null {
  let text = ''
  for (const p of batch) {
    if (p.id <= after || (types && !types.has(p.type))) continue
    text += p.frame
  }
  return text ? new SseFrames(text) : null
}
