/**
 * The guarded phases one plugin goes through besides setup: import, start, stop. Each is bounded
 * by the plugin's `startTimeoutMs` and contained: a throw or a timeout marks that plugin (failed,
 * or a last error at stop) and never reaches the kernel or the other plugins.
 */
import type { Logger } from 'pino'
import { loadPlugin } from '../registry/loader.js'
import type { PluginRecord } from '../registry/record.js'
import { guarded } from './guarded.js'

export interface PhaseContext {
  log: Logger
  /** the timeout of a plugin whose manifest names none, ms */
  defaultTimeoutMs: number
  projectRoot: string
  jitiCacheDir: string
}

function timeoutOf(r: PluginRecord, ctx: PhaseContext): number {
  return r.manifest?.startTimeoutMs ?? ctx.defaultTimeoutMs
}

export async function importPlugin(r: PluginRecord, ctx: PhaseContext): Promise<void> {
  const t0 = performance.now()
  const imported = await guarded(`import of ${r.id}`, timeoutOf(r, ctx), () =>
    loadPlugin(r.dir, r.manifest!, { projectRoot: ctx.projectRoot, jitiCacheDir: ctx.jitiCacheDir }),
  )
  if (!imported.ok) return r.fail(imported.error)
  r.module = imported.value
  r.set('loaded')
  r.timings.importMs = Math.round(performance.now() - t0)
  ctx.log.debug({ plugin: r.id, importMs: r.timings.importMs }, 'plugin imported')
}

export async function startPlugin(r: PluginRecord, ctx: PhaseContext): Promise<void> {
  r.set('starting')
  const t0 = performance.now()
  for (const fn of [...r.startFns]) {
    const res = await guarded(`start of ${r.id}`, timeoutOf(r, ctx), fn)
    if (!res.ok) {
      r.fail(res.error)
      ctx.log.error({ plugin: r.id }, res.error)
      return
    }
  }
  r.set('started')
  r.timings.startMs = Math.round(performance.now() - t0)
  ctx.log.debug({ plugin: r.id, startMs: r.timings.startMs }, 'plugin started')
}

/** stop functions in reverse order, disposers in reverse order, then owned resources; failures are noted, not thrown */
export async function stopPlugin(r: PluginRecord, ctx: PhaseContext): Promise<void> {
  for (const fn of [...r.stopFns].reverse()) {
    const res = await guarded(`stop of ${r.id}`, r.manifest?.startTimeoutMs ?? 10_000, fn)
    if (!res.ok) {
      r.noteError(res.error)
      ctx.log.error({ plugin: r.id }, res.error)
    }
  }
  for (const d of [...r.disposers].reverse()) {
    try {
      d()
    } catch (e) {
      ctx.log.warn({ plugin: r.id, err: (e as Error).message }, 'disposer threw')
    }
  }
  // then what it owns (timers, sockets, stores): the stop callbacks above could still use them
  if (r.release) {
    const released = await guarded(`release of ${r.id}`, r.manifest?.startTimeoutMs ?? 10_000, r.release)
    if (!released.ok) r.noteError(released.error)
  }
  if (r.status === 'started' || r.status === 'loaded' || r.status === 'starting') r.set('stopped')
}
