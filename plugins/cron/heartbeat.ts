/**
 * The heartbeat (daemon mode, off by default): a periodic agent check-in, kept as the declarative
 * job `__heartbeat` so its runs are recorded, listed and pruned like any cron job's. `[heartbeat]`
 * in config.toml: `enabled`, `interval_minutes` (default 30, at least 1), `prompt`.
 */
import { nextAfter } from './schedule.js'
import type { CronStore } from './cron-store.js'
import type { Job } from './store.js'

export const HEARTBEAT_ID = '__heartbeat'
const DEFAULT_PROMPT = 'Heartbeat check-in: review anything pending and report briefly.'

export interface HeartbeatSettings {
  enabled: boolean
  intervalMs: number
  prompt: string
}

export function heartbeatFrom(section: Readonly<Record<string, unknown>> | undefined): HeartbeatSettings {
  const s = section ?? {}
  const m = s.interval_minutes
  const minutes = typeof m === 'number' && Number.isFinite(m) && m >= 1 ? m : 30
  const prompt = typeof s.prompt === 'string' && s.prompt.trim() ? s.prompt : DEFAULT_PROMPT
  return { enabled: s.enabled === true, intervalMs: Math.round(minutes * 60_000), prompt }
}

/**
 * create, update or remove the heartbeat job to match the settings (at daemon start). In cluster
 * mode every daemon does: an existing job is edited as stored (locked), so a fire another node
 * recorded meanwhile, or the next time it moved, is not written back over
 */
export async function reconcileHeartbeat(store: CronStore, h: HeartbeatSettings, now: number): Promise<Job | undefined> {
  if (!h.enabled) {
    await store.delete(HEARTBEAT_ID)
    return undefined
  }
  const schedule = { kind: 'every' as const, every_ms: h.intervalMs }
  const build = (cur: Job | undefined): Job => {
    const same = cur && cur.schedule.kind === 'every' && cur.schedule.every_ms === h.intervalMs
    return {
      id: HEARTBEAT_ID,
      name: 'Heartbeat',
      schedule,
      command: '',
      argv: null,
      prompt: h.prompt,
      job_type: 'agent',
      session_target: 'main',
      model: null,
      allowed_tools: null,
      enabled: true,
      delivery: { mode: 'none', channel: null, to: null, best_effort: true },
      delete_after_run: false,
      source: 'declarative',
      owner: null,
      created_at: cur?.created_at ?? now,
      next_run: same && cur.next_run !== null ? cur.next_run : nextAfter(schedule, now),
      last_run: cur?.last_run ?? null,
      last_status: cur?.last_status ?? null,
      last_output: cur?.last_output ?? null,
    }
  }
  const edited = await store.patch(HEARTBEAT_ID, build)
  if (edited) return edited
  const job = build(undefined)
  await store.put(job)
  return job
}
