/**
 * Cron schedules with croner (no hand-written parser): 5 fields (standard crontab), 6 (seconds
 * first) or 7 (plus year), an optional IANA `tz`. Also the contract's other kinds, `every` (the
 * heartbeat) and `at` (one shot), which the API cannot create but the store keeps.
 */
import { Cron } from 'croner'

export type Schedule = { kind: 'cron'; expr: string; tz: string | null } | { kind: 'every'; every_ms: number } | { kind: 'at'; at: string }

export class ScheduleError extends Error {}

/** parse (and so validate) a cron schedule; the error carries croner's own message */
export function cronOf(expr: string, tz: string | null): Cron {
  try {
    const c = new Cron(expr, { paused: true, timezone: tz ?? undefined })
    // an unknown timezone only shows when a date is computed
    c.nextRun(new Date())
    return c
  } catch (e) {
    throw new ScheduleError((e as Error).message)
  }
}

/**
 * The first fire time strictly after `afterMs`, or null when there is none (an `at` in the past, a
 * cron pattern that never matches again). Compiled patterns are cached: a tick may ask for
 * thousands of jobs sharing one expression.
 */
const compiled = new Map<string, Cron>()
export function nextAfter(s: Schedule, afterMs: number, lastRunMs: number | null = null): number | null {
  if (s.kind === 'every') {
    const base = lastRunMs ?? afterMs
    const n = base + s.every_ms
    return n > afterMs ? n : afterMs + s.every_ms
  }
  if (s.kind === 'at') {
    const t = Date.parse(s.at)
    return Number.isFinite(t) && t > afterMs ? t : null
  }
  const key = `${s.tz ?? ''}\u0000${s.expr}`
  let c = compiled.get(key)
  if (!c) {
    c = cronOf(s.expr, s.tz)
    if (compiled.size > 4096) compiled.clear()
    compiled.set(key, c)
  }
  return c.nextRun(new Date(afterMs))?.getTime() ?? null
}
