/**
 * definePlugin: the default export of every plugin's entry module.
 */
import type { HookTaps } from './hooks.js'
import type { EventBus } from './events.js'
import type { AuditRecorder } from './audit.js'
import type { Disposer, GatewayInfo, Logger, OwnedResource, PluginStore, RouteAdder, ServiceAccess } from './types.js'

/** The facade a plugin receives, already bound to its id. */
export interface PluginApi<Options = Record<string, unknown>> {
  readonly id: string
  readonly log: Logger
  /** the plugin's options from revka.plugins.json, validated against its configSchema */
  readonly config: Readonly<Options>
  readonly gateway: GatewayInfo
  /** the plugin's private folder, `api.store.dir` (`<state>/plugins/<id>/`, 0700, never served) */
  readonly store: PluginStore
  readonly routes: RouteAdder
  readonly hooks: HookTaps
  readonly services: ServiceAccess
  /** the observability event bus (`/api/events` streams it) */
  readonly events: EventBus
  /**
   * The gateway's tamper-evident audit log (kernel-owned, §18): record security-relevant actions
   * (`api.audit.record({ event_type: 'config_change', action: { command: 'cron.add x' } }, req)`).
   * The entry's `actor.channel` is this plugin's id. Synchronous (fsync per entry): record actions,
   * not per-request traffic.
   */
  readonly audit: AuditRecorder
  /** runs once the gateway listens (heavy work belongs here, not in setup) */
  onStart(fn: () => void | Promise<void>): Disposer
  /** runs at shutdown or when the plugin is disabled, in reverse start order */
  onStop(fn: () => void | Promise<void>): Disposer
  /**
   * Hand a resource to the plugin's scope and get it back: a timer (`setInterval`/`setTimeout`),
   * or anything with `dispose()`, `close()` or `destroy()` (sockets, servers, watchers, databases).
   * The kernel releases what a plugin owns, newest first, when it stops or is disabled — after the
   * `onStop` callbacks, so those may still use it. `const t = api.own(setInterval(tick, 60_000))`.
   */
  own<T extends OwnedResource>(resource: T): T
  /**
   * Mint a signed URL for a `signed` route: `path?exp=<unix>&sig=<hex>`, HMAC-SHA256 keyed by the
   * service token (which the plugin never sees). `ttlSecs` defaults to 3600. For a route declared
   * with `signed: { subject: 'wildcard' }`, pass the wildcard part as `options.subject`.
   */
  signUrl(path: string, ttlSecs?: number, options?: { subject?: string }): string
}

/** What a plugin module exports (through `definePlugin`): its `setup`, typed by the plugin's options; start and stop work is registered from there (`api.onStart`, `api.onStop`). */
export interface PluginDefinition<Options = Record<string, unknown>> {
  /**
   * Called once, before the gateway listens. Declare routes, hooks and services here; keep it fast
   * and free of I/O that can wait for `api.onStart`.
   */
  setup(api: PluginApi<Options>): void | Promise<void>
}

const PLUGIN_BRAND = Symbol.for('revka.plugin')

/** A plugin definition branded by `definePlugin`, which the kernel accepts as a module's default export. */
export interface DefinedPlugin<Options = Record<string, unknown>> extends PluginDefinition<Options> {
  readonly [PLUGIN_BRAND]: true
}

/** Wrap a plugin definition so the kernel can recognise it (across module copies). */
export function definePlugin<Options = Record<string, unknown>>(def: PluginDefinition<Options>): DefinedPlugin<Options> {
  if (!def || typeof def.setup !== 'function') throw new TypeError('definePlugin: setup(api) is required')
  return Object.freeze({ ...def, [PLUGIN_BRAND]: true as const })
}

/** True when `value` came from `definePlugin`. */
export function isDefinedPlugin(value: unknown): value is DefinedPlugin<any> {
  return typeof value === 'object' && value !== null && (value as any)[PLUGIN_BRAND] === true
}
