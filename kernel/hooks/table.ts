/**
 * The kernel's hook table: tapable hooks in a frozen object. Every tap goes through a register
 * interceptor that contains its failure (try/catch + timeout) and reports a diagnostic naming the
 * plugin, because tapable itself lets one throwing tap break the whole call.
 */
import tapable from 'tapable'
import type { HookTaps, TapOptions, RouteRegistrar, StatusDocument, StatusContext, HealthSink, ResponseInfo, Disposer, AgentTool } from '@revka/plugin-sdk'

const { AsyncSeriesHook, AsyncSeriesWaterfallHook, AsyncParallelHook, SyncHook } = tapable

export type TapFailure = (pluginId: string, hook: string, error: Error) => void

export function createHookTable(onFailure: TapFailure, tapTimeoutMs = 5000) {
  const hooks = {
    routes: new AsyncSeriesHook<[RouteRegistrar]>(['registrar']),
    beforeListen: new AsyncSeriesHook<[]>([]),
    ready: new AsyncSeriesHook<[{ url: string }]>(['info']),
    shutdown: new AsyncSeriesHook<[{ reason: string }]>(['info']),
    status: new AsyncSeriesWaterfallHook<[StatusDocument, StatusContext]>(['doc', 'ctx']),
    health: new AsyncParallelHook<[HealthSink]>(['sink']),
    response: new SyncHook<[ResponseInfo]>(['info']),
    tools: new AsyncSeriesWaterfallHook<[AgentTool[]]>(['tools']),
  }
  for (const [hookName, hook] of Object.entries(hooks)) {
    const waterfall = hookName === 'status' || hookName === 'tools'
    const sync = hookName === 'response'
    hook.intercept({
      register(tap: any) {
        const fn = tap.fn as (...a: unknown[]) => unknown
        const name = tap.name as string
        if (sync) {
          tap.fn = (...args: unknown[]) => {
            try { return fn(...args) } catch (e) { onFailure(name, hookName, e as Error) }
          }
          return tap
        }
        tap.fn = (...args: unknown[]) => {
          let result: unknown
          try {
            result = fn(...args)
          } catch (e) {
            onFailure(name, hookName, e as Error)
            return Promise.resolve(waterfall ? args[0] : undefined)
          }
          // a waterfall tap that forgets to return keeps the document intact
          const settle = (r: unknown) => (waterfall && (r === undefined || r === null) ? args[0] : r)
          // synchronous taps (most status and health taps) need no timer
          if (!result || typeof (result as Promise<unknown>).then !== 'function') return Promise.resolve(settle(result))
          let timer: NodeJS.Timeout | undefined
          return Promise.race([
            result as Promise<unknown>,
            new Promise((_, rej) => {
              timer = setTimeout(() => rej(new Error(`tap exceeded ${tapTimeoutMs} ms`)), tapTimeoutMs)
              timer.unref()
            }),
          ]).then(settle, (e) => {
            onFailure(name, hookName, e as Error)
            return waterfall ? args[0] : undefined
          }).finally(() => { if (timer) clearTimeout(timer) })
        }
        return tap
      },
    })
  }
  return Object.freeze(hooks)
}

export type HookTable = ReturnType<typeof createHookTable>

let tapSeq = 0

/** The per-plugin view of the hook table: taps named after the plugin, each with a disposer. */
export function scopedTaps(table: HookTable, pluginId: string, track: (d: Disposer) => Disposer): HookTaps {
  const point = (hookName: keyof HookTable) => ({
    tap(fn: (...a: any[]) => any, options: TapOptions = {}): Disposer {
      const hook = table[hookName] as any
      const marker = `revka-tap-${++tapSeq}`
      const opts = { name: pluginId, stage: options.stage ?? 0, revkaTap: marker }
      // tools carry the id of the plugin that contributed them
      const tapFn = hookName === 'tools'
        ? async (tools: AgentTool[]) => {
            const before = new Set(tools)
            const out = (await fn(tools)) ?? tools
            for (const t of out) if (!before.has(t) && t && !t.plugin) t.plugin = pluginId
            return out
          }
        : fn
      if (hookName === 'response') hook.tap(opts, tapFn)
      else hook.tapPromise(opts, tapFn)
      return track(() => {
        hook.taps = hook.taps.filter((t: any) => t.revkaTap !== marker)
        // tapable caches the compiled call; reset it so the removed tap is gone
        if (typeof hook._resetCompilation === 'function') hook._resetCompilation()
      })
    },
  })
  return {
    routes: point('routes'),
    beforeListen: point('beforeListen'),
    ready: point('ready'),
    shutdown: point('shutdown'),
    status: point('status'),
    health: point('health'),
    response: point('response'),
    tools: point('tools'),
  } as HookTaps
}
