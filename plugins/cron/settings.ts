/**
 * `[cron]` in config.toml: `enabled` (the scheduler runs in daemon mode; default true),
 * `catch_up_on_startup` (default true), `max_run_history` (default 50, at least 1). PATCH
 * /api/cron/settings writes them through the kernel's config service (validated, atomic, masked
 * secrets kept); `enabled` and `catch_up_on_startup` take effect at the next daemon start, as in
 * the reference, `max_run_history` at the next run.
 */
import { httpError, type GatewayConfigService } from '@revka/plugin-sdk'
import { parse, stringify } from 'smol-toml'

export interface CronSettings {
  enabled: boolean
  catch_up_on_startup: boolean
  max_run_history: number
}

export function settingsFrom(section: Readonly<Record<string, unknown>> | undefined): CronSettings {
  const s = section ?? {}
  const n = s.max_run_history
  return {
    enabled: s.enabled !== false,
    catch_up_on_startup: s.catch_up_on_startup !== false,
    max_run_history: typeof n === 'number' && Number.isInteger(n) && n >= 1 ? Math.min(n, 10_000) : 50,
  }
}

/** apply the known keys of a PATCH body (others are ignored, as in the reference) */
export function patchSettings(cur: CronSettings, body: unknown): CronSettings {
  const b = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {}
  const next = { ...cur }
  if (typeof b.enabled === 'boolean') next.enabled = b.enabled
  if (typeof b.catch_up_on_startup === 'boolean') next.catch_up_on_startup = b.catch_up_on_startup
  const n = b.max_run_history
  if (n !== undefined) {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 10_000)
      throw httpError(400, 'invalid_field', "'max_run_history' must be an integer 1..10000")
    next.max_run_history = n
  }
  return next
}

/** write `[cron]` into config.toml (comments elsewhere in the file are not kept by the rewrite) */
export async function saveSettings(config: GatewayConfigService, s: CronSettings): Promise<void> {
  const doc = parse(config.masked()) as Record<string, unknown>
  const cron = (doc.cron && typeof doc.cron === 'object' ? doc.cron : {}) as Record<string, unknown>
  doc.cron = { ...cron, enabled: s.enabled, catch_up_on_startup: s.catch_up_on_startup, max_run_history: s.max_run_history }
  await config.replace(stringify(doc))
}
