/**
 * The kernel's event bus: ids, timestamps, a bounded replay ring for `Last-Event-ID`, and
 * synchronous delivery. A subscriber that throws is logged and kept; one that is slow must buffer
 * (and bound) on its own side — the SSE helper drops a client rather than grow.
 */
import type { AnyEvent, Disposer, EventBus } from '@revka/plugin-sdk'

export const REPLAY_SIZE = 1024

export class KernelEventBus implements EventBus {
  private seq = 0
  private ring: AnyEvent[] = []
  private subs = new Set<(e: AnyEvent) => void>()

  constructor(
    private readonly onSubscriberError: (err: Error) => void,
    private readonly replaySize = REPLAY_SIZE,
  ) {}

  get lastId(): number {
    return this.seq
  }

  emit(type: string, fields: Record<string, unknown>): any {
    const event = { ...fields, type, id: this.seq + 1, timestamp: new Date().toISOString() } as AnyEvent
    this.deliver(event)
    return event
  }

  /**
   * Record and deliver an event already stamped with its id (greater than every id so far): the
   * cluster bus (kernel/cluster/event-bus.ts) stamps ids in the shared stream, not here.
   */
  protected deliver(event: AnyEvent): void {
    this.seq = event.id
    this.ring.push(event)
    if (this.ring.length > this.replaySize) this.ring.shift()
    for (const fn of this.subs) {
      try {
        fn(event)
      } catch (e) {
        this.onSubscriberError(e as Error)
      }
    }
  }

  subscribe(fn: (event: AnyEvent) => void): Disposer {
    this.subs.add(fn)
    return () => {
      this.subs.delete(fn)
    }
  }

  since(lastId: number): AnyEvent[] | null {
    if (!Number.isFinite(lastId) || lastId >= this.seq) return []
    const oldest = this.ring[0]?.id ?? this.seq + 1
    if (lastId < oldest - 1) return null
    return this.ring.filter((e) => e.id > lastId)
  }

  get subscriberCount(): number {
    return this.subs.size
  }
}
