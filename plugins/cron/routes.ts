/**
 * The seven routes of DOMAIN.md §16, all bearer, 64 KiB / 30 s. Deliberate differences from the
 * reference: a bad expression is 400 with croner's message (not 500), deleting an unknown job is
 * 404 (not 500), `timezone` is accepted on create, and every credential has a job quota.
 */
import { credentialKey, httpError, KernelServices, type PluginApi, type RevkaRequest } from '@revka/plugin-sdk'
import { applyPatch, parseCreate, toWire, type ShapeContext } from './job-shape.js'
import { patchSettings, saveSettings, type CronSettings } from './settings.js'
import type { JobStore } from './store.js'

export interface RouteDeps {
  api: PluginApi<any>
  store: () => JobStore
  now: () => number
  settings: { current: CronSettings }
  shellEnabled: boolean
  quota: { maxJobs: number; perCredential: number }
  /** a job was created or changed: the scheduler looks again */
  changed: () => void
}

const configured = (c: { status(): { configured: boolean } }) => {
  try {
    return c.status().configured
  } catch {
    return false
  }
}
const notFound = (id: string) => httpError(404, 'not_found', `Cron job not found: ${id}`)

export function addCronRoutes(d: RouteDeps): void {
  const { api } = d
  const audit = (req: RevkaRequest<any>, command: string, risk: 'low' | 'medium' | 'high' = 'medium') =>
    api.audit.record({ event_type: 'config_change', action: { command, risk_level: risk, approved: true, allowed: true }, result: { success: true } }, req)
  const ctx = async (): Promise<ShapeContext> => {
    const channels = await api.services.get(KernelServices.channels).list()
    return { now: d.now(), shellEnabled: d.shellEnabled, channels: new Set(channels.filter((c) => c.send && configured(c)).map((c) => c.id)) }
  }

  api.routes.add({
    method: 'GET',
    url: '/api/cron',
    auth: 'bearer',
    description: 'cron jobs ordered by next_run',
    handler: () => ({ jobs: d.store().list().map(toWire) }),
  })

  api.routes.add({
    method: 'POST',
    url: '/api/cron',
    auth: 'bearer',
    description: 'create a cron job (agent or, when enabled, shell)',
    handler: async (req) => {
      const owner = credentialKey(req.auth)
      const job = parseCreate(req.body, await ctx(), owner)
      const store = d.store()
      if (store.count() >= d.quota.maxJobs)
        throw httpError(
          507,
          'cron_quota_exceeded',
          `This gateway already holds ${d.quota.maxJobs} cron jobs (plugins.cron.options.max_jobs); delete some first`,
        )
      if (store.count(owner) >= d.quota.perCredential)
        throw httpError(
          507,
          'cron_quota_exceeded',
          `This credential already owns ${d.quota.perCredential} cron jobs (plugins.cron.options.max_jobs_per_credential); delete some first`,
        )
      store.put(job) // durable (synchronous = FULL) before the answer
      audit(req, `cron.create ${job.id} (${job.job_type})`, job.job_type === 'shell' ? 'high' : 'medium')
      d.changed()
      return { status: 'ok', job: toWire(job) }
    },
  })

  api.routes.add({
    method: 'GET',
    url: '/api/cron/settings',
    auth: 'bearer',
    description: '{enabled, catch_up_on_startup, max_run_history}',
    handler: () => ({ ...d.settings.current }),
  })

  api.routes.add({
    method: 'PATCH',
    url: '/api/cron/settings',
    auth: 'bearer',
    description: 'save [cron] settings to config.toml (enabled and catch-up apply at the next daemon start)',
    handler: async (req) => {
      const next = patchSettings(d.settings.current, req.body)
      try {
        await saveSettings(api.services.get(KernelServices.config), next)
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode) throw e
        throw httpError(500, 'config_save_failed', `Failed to save cron settings: ${(e as Error).message}`)
      }
      d.settings.current = next
      audit(req, 'cron.settings')
      return { status: 'ok', ...next }
    },
  })

  api.routes.add({
    method: 'PATCH',
    url: '/api/cron/:id',
    auth: 'bearer',
    description: 'update {name, schedule, command, prompt, enabled}',
    handler: async (req: RevkaRequest<unknown>) => {
      const id = (req.params as { id: string }).id
      const store = d.store()
      const cur = store.get(id)
      if (!cur) throw notFound(id)
      const next = applyPatch(cur, req.body, await ctx())
      store.put(next)
      audit(req, `cron.update ${id}`)
      d.changed()
      return { status: 'ok', job: toWire(next) }
    },
  })

  api.routes.add({
    method: 'DELETE',
    url: '/api/cron/:id',
    auth: 'bearer',
    description: 'delete a job and its run history',
    handler: (req: RevkaRequest<unknown>) => {
      const id = (req.params as { id: string }).id
      if (!d.store().delete(id)) throw notFound(id)
      audit(req, `cron.delete ${id}`)
      d.changed()
      return { status: 'ok' }
    },
  })

  api.routes.add({
    method: 'GET',
    url: '/api/cron/:id/runs',
    auth: 'bearer',
    description: 'run history, newest first (?limit 1..100, default 20)',
    handler: (req: RevkaRequest<unknown>) => {
      const id = (req.params as { id: string }).id
      const q = (req.query as Record<string, string | undefined>).limit
      const n = q === undefined || q === '' ? 20 : Number(q)
      if (!Number.isFinite(n)) throw httpError(400, 'invalid_query', "'limit' must be a number")
      const limit = Math.min(100, Math.max(1, Math.trunc(n)))
      const store = d.store()
      if (!store.get(id)) throw notFound(id)
      const iso = (ms: number) => new Date(ms).toISOString()
      return {
        runs: store.runs(id, limit).map((r) => ({
          id: r.id,
          job_id: r.job_id,
          started_at: iso(r.started_at),
          finished_at: iso(r.finished_at),
          status: r.status,
          output: r.output,
          duration_ms: r.duration_ms,
        })),
      }
    },
  })
}
