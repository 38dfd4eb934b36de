/**
 * The observability event bus, as plugins see it (`api.events`). The kernel stamps every event with
 * a monotonically increasing `id` and a `timestamp`, keeps a bounded replay buffer for
 * `Last-Event-ID` resumes, and delivers to subscribers synchronously (a subscriber that can fall
 * behind must buffer — and bound — on its own side).
 */
import type { Disposer } from './types.js'

/** The gateway's own event types and the fields each carries. */
export interface EventFields {
  llm_request: { provider: string; model: string; session_id?: string }
  tool_call_start: { tool: string; session_id?: string }
  tool_call: { tool: string; duration_ms: number; success: boolean; session_id?: string }
  agent_start: { provider: string; model: string; session_id?: string }
  agent_end: {
    provider: string
    model: string
    duration_ms: number
    tokens_used: number
    input_tokens?: number
    output_tokens?: number
    cost_usd: number
    session_id?: string
    source?: string
  }
  error: { component: string; message: string; session_id?: string }
  channel_event: { payload: unknown }
}

/** The name of one of the gateway's own event types. */
export type EventType = keyof EventFields

/** An event as emitted: its type's fields plus what the kernel stamps. */
export type RevkaEvent<T extends EventType = EventType> = { [K in T]: { type: K; id: number; timestamp: string } & EventFields[K] }[T]

/** Plugins may emit their own types too (e.g. workflow events); they carry arbitrary fields. */
export interface CustomEvent {
  type: string
  id: number
  timestamp: string
  [field: string]: unknown
}

/** Any event a subscriber may receive: the gateway's own or a plugin's custom one. */
export type AnyEvent = RevkaEvent | CustomEvent

/** The gateway's event bus (`api.events`): emit events and subscribe to all of them. */
export interface EventBus {
  /** stamp and deliver an event; returns it as delivered */
  emit<T extends EventType>(type: T, fields: EventFields[T]): RevkaEvent<T>
  emit(type: string, fields: Record<string, unknown>): CustomEvent
  /** receive every event from now on; the disposer unsubscribes */
  subscribe(fn: (event: AnyEvent) => void): Disposer
  /**
   * Events after `lastId` still in the replay buffer, oldest first; `null` when `lastId` is older
   * than the buffer (the caller has missed events and should say so).
   */
  since(lastId: number): AnyEvent[] | null
  /** id of the newest event (0 before any) */
  readonly lastId: number
}
