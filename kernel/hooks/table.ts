/**
 * The kernel's hook table: tapable hooks in a frozen object. Every tap goes through a register
 * interceptor that contains its failure (try/catch + timeout) and reports a diagnostic naming the
 * plugin, because tapable itself lets one throwing tap break the whole call.
 */
import tapable from 'tapable'
import { isThenable } from '../util/thenable.js'
import type { HookTaps, TapOptions, RouteRegistrar, StatusDocument, StatusContext, HealthSink, ResponseInfo, Disposer, AgentTool, ChannelDescriptor } from '@revka/plugin-sdk'

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
    channels: new AsyncSeriesWaterfallHook<[ChannelDescriptor[]]>(['channels']),
  }
  for (const [hookName, hook] of Object.entries(hooks)) {
    const waterfall = hookName === 'status' || hookName === 'tools' || hookName === 'channels'
    const sync = hookName === 'response'
    hook.intercept({
      register(tap: any) {
        const fn = tap.fn as (a?: unknown, b?: unknown) => unknown
        const name = tap.name as string
        // every hook above takes at most two arguments: fixed parameters, so a call allocates no
        // rest array (a status request runs one call per plugin)
        if (sync) {
          tap.fn = (a?: unknown) => {
            try { return fn(a) } catch (e) { onFailure(name, hookName, e as Error) }
          }
          return tap
        }
        // the guarded call answers synchronously when the tap did: callWaterfall uses it so a
        // status document built from sync taps costs no promise per tap (tapable's own call
        // chains one per tap, which made /api/status cost grow with the number of plugins)
        const call = (a?: unknown, b?: unknown): unknown => {
          let result: unknown
          try {
            result = fn(a, b)
          } catch (e) {
            onFailure(name, hookName, e as Error)
            return waterfall ? a : undefined
          }
          // synchronous taps (most status and health taps) need no timer; a waterfall tap that
          // forgets to return keeps the document intact
          if (!isThenable(result)) return waterfall && (result === undefined || result === null) ? a : result
          const settle = (r: unknown) => (waterfall && (r === undefined || r === null) ? a : r)
          let timer: NodeJS.Timeout | undefined
          return Promise.race([
            result,
            new Promise((_, rej) => {
              timer = setTimeout(() => rej(new Error(`tap exceeded ${tapTimeoutMs} ms`)), tapTimeoutMs)
              timer.unref()
            }),
          ]).then(settle, (e) => {
            onFailure(name, hookName, e as Error)
            return waterfall ? a : undefined
          }).finally(() => { if (timer) clearTimeout(timer) })
        }
        tap.revkaCall = call
        // tapable's own call (every hook but the status waterfall) wants a promise from each tap
        tap.fn = (a?: unknown, b?: unknown) => Promise.resolve(call(a, b))
        return tap
      },
    })
  }
  return Object.freeze(hooks)
}

export type HookTable = ReturnType<typeof createHookTable>

/**
 * Run a waterfall hook's taps in order without tapable's promise chain: synchronous taps are
 * called back to back and only an asynchronous one costs a promise. Same guarding (each tap's
 * failure is contained and reported), same stage order (tapable keeps `taps` sorted).
 */
export function callWaterfall<T>(hook: { taps: ReadonlyArray<unknown> }, initial: T, ctx?: unknown): T | Promise<T> {
  const taps = hook.taps as ReadonlyArray<{ revkaCall: (a: unknown, b: unknown) => unknown }>
  let value: unknown = initial
  for (let i = 0; i < taps.length; i++) {
    const r = taps[i].revkaCall(value, ctx)
    // the first asynchronous tap hands the rest of the run to a promise chain
    if (isThenable(r)) return Promise.resolve(r).then((v) => rest(taps, i + 1, v, ctx))
    value = r
  }
  return value as T
}

async function rest<T>(taps: ReadonlyArray<{ revkaCall: (a: unknown, b: unknown) => unknown }>, from: number, value: unknown, ctx: unknown): Promise<T> {
  for (let i = from; i < taps.length; i++) value = await taps[i].revkaCall(value, ctx)
  return value as T
}

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
    channels: point('channels'),
  } as HookTaps
}
