/**
 * The kernel's hook points as a plugin sees them. Taps are named after the plugin automatically
 * and guarded by the kernel (try/catch + timeout + a diagnostic naming the plugin).
 */
import type { Disposer } from './types.js'
import type { AgentTool } from './tools.js'
import type { ChannelDescriptor } from './channels.js'

/** Tap stages. Lower runs first. Use these constants, never bare numbers. */
export const Stage = Object.freeze({
  /** before everything else (auth-like concerns) */
  AUTH: -100,
  DEFAULT: 0,
  /** after everything else (observers, metrics) */
  OBSERVE: 100,
})
/** One of the `Stage` values: where a tap runs among the others on its hook. */
export type StageValue = (typeof Stage)[keyof typeof Stage]

/** Where a tap runs among the others on the same hook (a `Stage`; default `Stage.DEFAULT`). */
export interface TapOptions {
  stage?: StageValue
}

/** One hook of `api.hooks`: tap it with a function of the hook's shape. */
export interface TapPoint<F> {
  /** add a tap; the returned disposer removes it */
  tap(fn: F, options?: TapOptions): Disposer
}

/**
 * The `/api/status` document under construction; each tap adds its fields. It is built fresh for
 * every request, so a tap may add to it in place and return it (cheaper than a spread copy per tap).
 */
export type StatusDocument = Record<string, unknown>
/** What a `status` hook tap learns about the caller of `/api/status`. */
export interface StatusContext {
  /** true when the caller presented a valid bearer/service token */
  authenticated: boolean
}

/** A component's health, as `/health` reports it. */
export type ComponentState = 'starting' | 'ok' | 'error'
/** How a `health` hook tap reports the state of its components. */
export interface HealthSink {
  report(component: string, state: ComponentState, message?: string): void
}

/** One finished HTTP response, for observers such as metrics (runs synchronously: keep it cheap). */
export interface ResponseInfo {
  method: string
  /** route pattern, or `unmatched` */
  route: string
  status: number
  durationMs: number
  plugin?: string
}

/**
 * The hook points. Routes are declared with `api.routes.add` in setup; start and stop work goes
 * in `api.onStart` / `api.onStop` (there are no routes/ready/shutdown hooks).
 */
export interface HookTaps {
  /** build the `/api/status` document (AsyncSeriesWaterfallHook) */
  status: TapPoint<(doc: StatusDocument, ctx: StatusContext) => StatusDocument | Promise<StatusDocument>>
  /** component probes for `/health` (AsyncParallelHook) */
  health: TapPoint<(sink: HealthSink) => void | Promise<void>>
  /** observe every finished response (SyncHook, hot path) */
  response: TapPoint<(info: ResponseInfo) => void>
  /** contribute agent tools: return the list with yours added (AsyncSeriesWaterfallHook) */
  tools: TapPoint<(tools: AgentTool[]) => AgentTool[] | Promise<AgentTool[]>>
  /** declare channels: return the list with yours added (AsyncSeriesWaterfallHook; use `defineChannel`) */
  channels: TapPoint<(channels: ChannelDescriptor[]) => ChannelDescriptor[] | Promise<ChannelDescriptor[]>>
}
