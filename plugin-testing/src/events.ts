/**
 * The event sink: every event the gateway emits during a test, in order, so a plugin test asserts
 * "one agent turn ran" or waits for its own event without reaching for the kernel object.
 */
import type { CustomEvent, EventBus } from '@revka/plugin-sdk'

/** An event as recorded: its `type`, `id`, `timestamp` and fields (read them by name). */
export type RecordedEvent = CustomEvent

/** Events recorded since the test kernel was created (`k.events`). */
export interface EventSink {
  /** every event so far, oldest first */
  all(): RecordedEvent[]
  /** the events of one type so far */
  ofType(type: string): RecordedEvent[]
  /**
   * Resolves with the first `count` events of `type` (already recorded ones count), or rejects
   * after `timeoutMs` (default 5000) naming what was seen — no sleeps in tests.
   */
  waitFor(type: string, opts?: { count?: number; timeoutMs?: number }): Promise<RecordedEvent[]>
  /** forget what was recorded (a test that wants to count from here) */
  clear(): void
}

/** A sink subscribed to `bus`; the returned `close` unsubscribes it (the harness calls it at stop). */
export function recordEvents(bus: Pick<EventBus, 'subscribe'>): EventSink & { close(): void } {
  let events: RecordedEvent[] = []
  const waiters = new Set<() => void>()
  const off = bus.subscribe((e) => {
    events.push(e as RecordedEvent)
    for (const w of [...waiters]) w()
  })
  const ofType = (type: string) => events.filter((e) => e.type === type)
  return {
    all: () => [...events],
    ofType,
    clear: () => {
      events = []
    },
    close: off,
    waitFor(type, opts = {}) {
      const count = opts.count ?? 1
      const timeoutMs = opts.timeoutMs ?? 5000
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = ofType(type)
          if (found.length < count) return
          waiters.delete(check)
          clearTimeout(timer)
          resolve(found.slice(0, count))
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          const seen = [...new Set(events.map((e) => e.type))].join(', ') || 'none'
          reject(new Error(`REVKA_ERR_TEST_TIMEOUT: ${ofType(type).length} of ${count} "${type}" events after ${timeoutMs} ms (types seen: ${seen})`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
  }
}
