/**
 * The kernel's hook table: the tapable hooks that have taps (status, health, response, tools,
 * channels) in a frozen object. Every tap goes through a register interceptor that contains its
 * failure (try/catch + timeout) and reports a diagnostic naming the plugin, because tapable itself
 * lets one throwing tap break the whole call.
 *
 * Only tapable's public API is used. tapable has no way to remove a tap, so the table keeps the
 * taps itself and a removal (a plugin stopped or disabled) builds that hook anew from the taps that
 * remain; the table's properties are getters, so callers always reach the current hook.
 */
import tapable from 'tapable'
import { isThenable } from '../util/thenable.js'
import type { HookTaps, TapOptions, StatusDocument, StatusContext, HealthSink, ResponseInfo, Disposer, AgentTool, ChannelDescriptor } from '@revka/plugin-sdk'

const { AsyncSeriesWaterfallHook, AsyncParallelHook, SyncHook } = tapable

export type TapFailure = (pluginId: string, hook: string, error: Error) => void

const makers = {
  status: () => new AsyncSeriesWaterfallHook<[StatusDocument, StatusContext]>(['doc', 'ctx']),
  health: () => new AsyncParallelHook<[HealthSink]>(['sink']),
  response: () => new SyncHook<[ResponseInfo]>(['info']),
  tools: () => new AsyncSeriesWaterfallHook<[AgentTool[]]>(['tools']),
  channels: () => new AsyncSeriesWaterfallHook<[ChannelDescriptor[]]>(['channels']),
}
type HookName = keyof typeof makers
type Hooks = { [K in HookName]: ReturnType<(typeof makers)[K]> }
export type HookTable = Readonly<Hooks>

const WATERFALL = new Set<HookName>(['status', 'tools', 'channels'])

interface TapEntry {
  name: string
  stage: number
  fn: (...a: any[]) => any
}

/** what removes and re-adds taps, per table (kept apart so the table lists only hooks) */
const registries = new WeakMap<HookTable, { entries: Record<HookName, TapEntry[]>; rebuild(name: HookName): void; add(name: HookName, e: TapEntry): void }>()

function guard(hookName: HookName, onFailure: TapFailure, tapTimeoutMs: number) {
  const waterfall = WATERFALL.has(hookName)
  return {
    register(tap: any) {
      const fn = tap.fn as (a?: unknown, b?: unknown) => unknown
      const name = tap.name as string
      // every hook above takes at most two arguments: fixed parameters, so a call allocates no
      // rest array (a status request runs one call per plugin)
      if (hookName === 'response') {
        tap.fn = (a?: unknown) => {
          try {
            return fn(a)
          } catch (e) {
            onFailure(name, hookName, e as Error)
          }
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
        ])
          .then(settle, (e) => {
            onFailure(name, hookName, e as Error)
            return waterfall ? a : undefined
          })
          .finally(() => {
            if (timer) clearTimeout(timer)
          })
      }
      tap.revkaCall = call
      // tapable's own call (every hook but the status waterfall) wants a promise from each tap
      tap.fn = (a?: unknown, b?: unknown) => Promise.resolve(call(a, b))
      return tap
    },
  }
}

export function createHookTable(onFailure: TapFailure, tapTimeoutMs = 5000): HookTable {
  const names = Object.keys(makers) as HookName[]
  const current = {} as Hooks
  const entries = Object.fromEntries(names.map((n) => [n, []])) as unknown as Record<HookName, TapEntry[]>
  const add = (name: HookName, e: TapEntry) => {
    const hook = current[name] as any
    if (name === 'response') hook.tap({ name: e.name, stage: e.stage }, e.fn)
    else hook.tapPromise({ name: e.name, stage: e.stage }, e.fn)
  }
  const rebuild = (name: HookName) => {
    const hook = makers[name]() as any
    hook.intercept(guard(name, onFailure, tapTimeoutMs))
    ;(current as any)[name] = hook
    for (const e of entries[name]) add(name, e)
  }
  for (const n of names) rebuild(n)
  const table = Object.freeze({
    get status() {
      return current.status
    },
    get health() {
      return current.health
    },
    get response() {
      return current.response
    },
    get tools() {
      return current.tools
    },
    get channels() {
      return current.channels
    },
  })
  registries.set(table, { entries, rebuild, add })
  return table
}

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

/** The per-plugin view of the hook table: taps named after the plugin, each with a disposer. */
export function scopedTaps(table: HookTable, pluginId: string, track: (d: Disposer) => Disposer): HookTaps {
  const reg = registries.get(table)!
  const point = (hookName: HookName) => ({
    tap(fn: (...a: any[]) => any, options: TapOptions = {}): Disposer {
      // tools carry the id of the plugin that contributed them
      const tapFn =
        hookName === 'tools'
          ? async (tools: AgentTool[]) => {
              const before = new Set(tools)
              const out = (await fn(tools)) ?? tools
              for (const t of out) if (!before.has(t) && t && !t.plugin) t.plugin = pluginId
              return out
            }
          : fn
      const entry: TapEntry = { name: pluginId, stage: options.stage ?? 0, fn: tapFn }
      reg.entries[hookName].push(entry)
      reg.add(hookName, entry)
      return track(() => {
        reg.entries[hookName] = reg.entries[hookName].filter((e) => e !== entry)
        reg.rebuild(hookName)
      })
    },
  })
  return {
    status: point('status'),
    health: point('health'),
    response: point('response'),
    tools: point('tools'),
    channels: point('channels'),
  } as HookTaps
}
