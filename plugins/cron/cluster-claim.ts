/**
 * Cluster mode (issue 18): every node's scheduler sees the same job come due, and only one may
 * run it. Before a run the node claims `<job id>:<scheduled fire time>` through the kernel's
 * `cluster-claims` service; the node that gets it runs the job, the others skip that fire time.
 * The scheduled time (not the time of the tick) is the key, so a node that ticks late, or fires a
 * missed run at start (catch-up), asks for the same key and is refused. On a single node the
 * runner is returned untouched: nothing is awaited, nothing changes.
 */
import { KernelServices, type PluginApi } from '@revka/plugin-sdk'
import type { Job } from './store.js'

/** a claim outlives any plausible clock skew or late tick between nodes */
export const CLAIM_TTL_MS = 3_600_000

export function claimedRun(api: PluginApi<any>, run: (job: Job, scheduledAt: number) => Promise<unknown>): (job: Job, scheduledAt: number) => Promise<unknown> {
  const claims = api.services.find(KernelServices.claims)
  if (!claims?.clustered) return run
  return async (job, scheduledAt) => {
    let mine: boolean
    try {
      mine = await claims.claim(`cron:${job.id}:${scheduledAt}`, CLAIM_TTL_MS)
    } catch (e) {
      // unreachable database: another node may hold this fire time, so running it could double it
      api.log.error({ job: job.id, scheduled_at: scheduledAt, err: (e as Error).message }, 'REVKA_ERR_CRON_CLAIM: fire skipped, the cluster claim failed')
      return
    }
    if (!mine) {
      api.log.debug({ job: job.id, scheduled_at: scheduledAt }, 'cron: another node runs this fire')
      return
    }
    return run(job, scheduledAt)
  }
}
