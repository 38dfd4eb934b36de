/**
 * The seven routes of DOMAIN.md §16, all bearer, 64 KiB / 30 s. Deliberate differences from the
 * reference: a bad expression is 400 with croner's message (not 500), deleting an unknown job is
 * 404 (not 500), `timezone` is accepted on create, and every credential has a job quota.
 */
import { credentialKey, httpError, KernelServices, type PluginApi, type RevkaRequest } from '@revka/plugin-sdk'
import { applyPatch, parseCreate, toWire, type ShapeContext } from './job-shape.js'
import { patchSettings, saveSettings, type CronSettings } from './settings.js'
import type { CronStore } from './cron-store.js'

export interface RouteDeps {
  api: PluginApi<any>
  store: () => CronStore
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
  /** this node's [cron] settings, with the cluster's max_run_history when one was set */
  const current = async (): Promise<CronSettings> => {
    const keep = await d.store().sharedKeep?.get()
    return keep ? { ...d.settings.current, max_run_history: keep } : { ...d.settings.current }
  }
  const ctx = async (): Promise<ShapeContext> => {
    const channels = await api.services.get(KernelServices.channels).list()
    return { now: d.now(), shellEnabled: d.shellEnabled, channels: new Set(channels.filter((c) => c.send && configured(c)).map((c) => c.id)) }
  }

  api.routes.add({
    method: 'GET',
    url: '/api/cron',
    auth: 'bearer',
    description: 'cron jobs ordered by next_run',
    handler: async () => ({ jobs: (await d.store().list()).map(toWire) }),
  })

  api.routes.add({
    method: 'POST',
    url: '/api/cron',
    auth: 'bearer',
    description: 'create a cron job (agent or, when enabled, shell)',
    handler: async (req) => {
      const owner = credentialKey(req.auth)
      const job = parseCreate(req.body, await ctx(), owner)
      // the quota check and the insert are one step: in cluster mode two nodes cannot both pass it
      const created = await d.store().create(job, d.quota) // durable before the answer
      if (created === 'max_jobs')
        throw httpError(
          507,
          'cron_quota_exceeded',
          `This gateway already holds ${d.quota.maxJobs} cron jobs (plugins.cron.options.max_jobs); delete some first`,
        )
      if (created === 'per_credential')
        throw httpError(
          507,
          'cron_quota_exceeded',
          `This credential already owns ${d.quota.perCredential} cron jobs (plugins.cron.options.max_jobs_per_credential); delete some first`,
        )
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
    handler: async () => current(),
  })

  api.routes.add({
    method: 'PATCH',
    url: '/api/cron/settings',
    auth: 'bearer',
    description: 'save [cron] settings to config.toml (enabled and catch-up apply at the next daemon start)',
    handler: async (req) => {
      const next = patchSettings(await current(), req.body)
      try {
        await saveSettings(api.services.get(KernelServices.config), next)
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode) throw e
        throw httpError(500, 'config_save_failed', `Failed to save cron settings: ${(e as Error).message}`)
      }
      // cluster mode: the history limit is the cluster's (this node's config.toml has it too)
      await d.store().sharedKeep?.set(next.max_run_history)
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
      const c = await ctx()
      // edited as stored (row locked in cluster mode): a fire recorded meanwhile on another node is kept
      const next = await d.store().patch(id, (cur) => applyPatch(cur, req.body, c))
      if (!next) throw notFound(id)
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
    handler: async (req: RevkaRequest<unknown>) => {
      const id = (req.params as { id: string }).id
      if (!(await d.store().delete(id))) throw notFound(id)
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
    handler: async (req: RevkaRequest<unknown>) => {
      const id = (req.params as { id: string }).id
      const q = (req.query as Record<string, string | undefined>).limit
      const n = q === undefined || q === '' ? 20 : Number(q)
      if (!Number.isFinite(n)) throw httpError(400, 'invalid_query', "'limit' must be a number")
      const limit = Math.min(100, Math.max(1, Math.trunc(n)))
      const store = d.store()
      if (!(await store.get(id))) throw notFound(id)
      const iso = (ms: number) => new Date(ms).toISOString()
      return {
        runs: (await store.runs(id, limit)).map((r) => ({
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
