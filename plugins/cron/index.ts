/**
 * cron — DOMAIN.md §16. The routes manage jobs in every mode; the scheduler (and the heartbeat)
 * run only in `revka daemon`, as in the reference, and only when `[cron] enabled` (default). The
 * kernel's daemon lock makes sure one daemon per state dir fires jobs. `/api/status` carries
 * `cron: {scheduler: "running"|"off", reason?, jobs}`; `/health` has `scheduler` and `heartbeat`
 * components in daemon mode. In cluster mode (`shared-sql` present) jobs and run history live in
 * the cluster's PostgreSQL (pg-store.ts) and every daemon node schedules from it; a fire runs on
 * the one node that claims it (cluster-claim.ts).
 */
import { join } from 'node:path'
import { CronTriggersRef, definePlugin, KernelServices } from '@revka/plugin-sdk'
import { addCronRoutes } from './routes.js'
import { runJob, type RunnerDeps } from './runner.js'
import { Scheduler } from './scheduler.js'
import { settingsFrom } from './settings.js'
import { JobStore } from './store.js'
import { sqliteCronStore, type CronStore } from './cron-store.js'
import { openPgCronStore } from './pg-store.js'
import { HEARTBEAT_ID, heartbeatFrom, reconcileHeartbeat } from './heartbeat.js'
import { workflowTriggers } from './workflow-triggers.js'
import { claimedRun } from './cluster-claim.js'

interface Options {
  shell_jobs: boolean
  shell_timeout_secs: number
  shell_env_allow: string[]
  max_jobs: number
  max_jobs_per_credential: number
  max_concurrent: number
  poll_ms: number
  delivery_retry_ms: number
}

export default definePlugin<Options>({
  setup(api) {
    const now = () => api.gateway.now()
    const settings = { current: settingsFrom(api.gateway.section('cron')) }
    // what this process runs with: settings saved later apply at the next daemon start
    const atStart = { ...settings.current }
    const heartbeat = heartbeatFrom(api.gateway.section('heartbeat'))
    const daemon = api.gateway.mode === 'daemon'
    let store: CronStore | undefined
    let scheduler: Scheduler | undefined
    const inflight = new Set<AbortController>()
    const openStore = () => {
      if (!store) throw new Error('cron store is not open yet')
      return store
    }
    const offReason = !daemon ? 'gateway mode: jobs fire only under `revka daemon`' : !atStart.enabled ? '[cron] enabled = false' : undefined

    addCronRoutes({
      api,
      now,
      settings,
      store: openStore,
      shellEnabled: api.config.shell_jobs,
      quota: { maxJobs: api.config.max_jobs, perCredential: api.config.max_jobs_per_credential },
      changed: () => scheduler?.kick(),
    })

    // the workflows plugin keeps each workflow's cron triggers in step through this (DOMAIN §7.3)
    api.services.provide(
      CronTriggersRef,
      workflowTriggers({ store: openStore, now, maxJobs: api.config.max_jobs, log: api.log, changed: () => scheduler?.kick() }),
    )

    api.onStart(async () => {
      // a single node never loads pg: the service exists only in cluster mode
      const sharedSql = api.services.find(KernelServices.sharedSql)
      store = sharedSql
        ? await openPgCronStore(sharedSql, Math.max(30_000, 5 * api.config.poll_ms))
        : sqliteCronStore(await JobStore.open(join(api.store.dir, 'jobs.db')))
      if (offReason) {
        api.log.info({ reason: offReason }, 'cron scheduler off')
        return
      }
      await reconcileHeartbeat(store, heartbeat, now())
      const deps: RunnerDeps = {
        api,
        store,
        now,
        maxRunHistory: () => settings.current.max_run_history,
        shell: { enabled: api.config.shell_jobs, timeoutMs: api.config.shell_timeout_secs * 1000, envAllow: api.config.shell_env_allow },
        inflight,
        retryBaseMs: api.config.delivery_retry_ms,
      }
      scheduler = new Scheduler({
        store,
        now,
        log: api.log,
        pollMs: api.config.poll_ms,
        maxConcurrent: api.config.max_concurrent,
        batch: 2000,
        run: claimedRun(api, (job) => runJob(job, deps)),
        startGraceMs: store.backend === 'postgres' ? 2 * api.config.poll_ms : 0,
      })
      await scheduler.start(atStart.catch_up_on_startup)
    })

    api.onStop(async () => {
      for (const ac of inflight) ac.abort(new Error('gateway stopping'))
      await scheduler?.stop()
      scheduler = undefined
      await store?.close()
      store = undefined
    })

    api.hooks.status.tap((doc) => {
      doc.cron = offReason
        ? { scheduler: 'off', reason: offReason }
        : { scheduler: scheduler ? 'running' : 'starting', fired: scheduler?.fired ?? 0, in_flight: scheduler?.inFlight ?? 0 }
      return doc
    })

    api.hooks.health.tap(async (sink) => {
      if (offReason) return
      sink.report('scheduler', scheduler ? 'ok' : 'starting', scheduler ? `${scheduler.fired} fired, ${scheduler.inFlight} in flight` : undefined)
      if (!heartbeat.enabled || !store) return
      // a lost PostgreSQL is the cluster components' report, not the heartbeat's
      const hb = await store.get(HEARTBEAT_ID).catch(() => undefined)
      if (!hb) return
      if (hb.last_status === 'error') sink.report('heartbeat', 'error', (hb.last_output ?? 'heartbeat failed').slice(0, 200))
      else
        sink.report(
          'heartbeat',
          hb.last_status === 'ok' ? 'ok' : 'starting',
          hb.last_run ? `last check-in ${new Date(hb.last_run).toISOString()}` : 'no check-in yet',
        )
    })
  },
})
