/**
 * The `cron-triggers` service (DOMAIN §7.3): a workflow's `triggers[].cron` entries become jobs
 * `__wf_cron_<slug>_<idx>` (`job_type: workflow`, `source: workflow`, `command` = the workflow).
 * Scoped to that one workflow, unlike the reference (whose sync deleted every other workflow's
 * jobs): only ids of exactly this slug whose `command` is this workflow are created, changed or
 * removed. Two workflows whose names map to the same slug would share ids; the second one's jobs
 * are then refused rather than taking the first one's.
 */
import { MAX_WORKFLOW_CRON_TRIGGERS, RevkaError, type CronTriggerService, type Logger } from '@revka/plugin-sdk'
import { checkExpression } from './job-shape.js'
import { nextAfter } from './schedule.js'
import type { Job, JobStore } from './store.js'

export const workflowSlug = (name: string) => name.replace(/[^A-Za-z0-9]/g, '_').toLowerCase()
const idPrefix = (workflow: string) => `__wf_cron_${workflowSlug(workflow)}_`

export interface TriggerDeps {
  store: () => JobStore
  now: () => number
  maxJobs: number
  log: Logger
  /** jobs changed: the scheduler looks again */
  changed: () => void
}

function jobOf(id: string, workflow: string, expr: string, tz: string | null, now: number, prev: Job | undefined): Job {
  const schedule = { kind: 'cron' as const, expr, tz }
  const same = prev?.schedule.kind === 'cron' && prev.schedule.expr === expr && prev.schedule.tz === tz
  return {
    id,
    name: `Workflow: ${workflow}`,
    schedule,
    command: workflow,
    argv: null,
    prompt: null,
    job_type: 'workflow',
    session_target: 'isolated',
    model: null,
    allowed_tools: null,
    enabled: prev?.enabled ?? true,
    delivery: prev?.delivery ?? { mode: 'none', channel: null, to: null, best_effort: true },
    delete_after_run: false,
    source: 'workflow',
    owner: null,
    created_at: prev?.created_at ?? now,
    // an unchanged schedule keeps its next fire time; a new one starts from now
    next_run: same && prev ? prev.next_run : nextAfter(schedule, now),
    last_run: prev?.last_run ?? null,
    last_status: prev?.last_status ?? null,
    last_output: prev?.last_output ?? null,
  }
}

/** this workflow's own jobs: its exact id pattern and its name as the command */
function ownJobs(store: JobStore, workflow: string): Job[] {
  const re = new RegExp(`^${idPrefix(workflow)}\\d+$`)
  return store.withPrefix(idPrefix(workflow)).filter((j) => re.test(j.id) && j.source === 'workflow' && j.command === workflow)
}

/** the jobs `triggers` make for `workflow`, or the refusal syncWorkflow would throw; `warn`: log what is skipped */
function plan(d: TriggerDeps, workflow: string, triggers: Array<{ cron: string; timezone?: string }>, warn: boolean): { mine: Map<string, Job>; next: Job[] } {
  if (triggers.length > MAX_WORKFLOW_CRON_TRIGGERS) {
    throw new RevkaError(
      'REVKA_ERR_WORKFLOW_TRIGGERS',
      `a workflow may have at most ${MAX_WORKFLOW_CRON_TRIGGERS} cron triggers (${workflow} has ${triggers.length})`,
    )
  }
  const store = d.store()
  const now = d.now()
  const mine = new Map(ownJobs(store, workflow).map((j) => [j.id, j]))
  const next: Job[] = []
  triggers.forEach((t, idx) => {
    const id = `${idPrefix(workflow)}${idx}`
    const taken = store.get(id)
    if (taken && !mine.has(id)) {
      if (warn) d.log.warn({ workflow, id }, 'cron trigger id belongs to another workflow; not replaced')
      return
    }
    let expr: string
    try {
      expr = checkExpression(t.cron, t.timezone ?? null)
    } catch (err) {
      if (warn) d.log.warn({ workflow, cron: t.cron, err: (err as Error).message }, 'workflow cron trigger skipped: bad expression')
      return
    }
    next.push(jobOf(id, workflow, expr, t.timezone ?? null, now, mine.get(id)))
  })
  const added = next.filter((j) => !mine.has(j.id)).length
  if (added && store.count() + added > d.maxJobs) {
    throw new RevkaError(
      'REVKA_ERR_CRON_QUOTA',
      `the gateway's ${d.maxJobs} cron jobs (plugins.cron.options.max_jobs) leave no room for ${workflow}'s ${added} new cron triggers`,
    )
  }
  return { mine, next }
}

export function workflowTriggers(d: TriggerDeps): CronTriggerService {
  return {
    syncWorkflow(workflow, triggers) {
      const { mine, next } = plan(d, workflow, triggers, true)
      const keep = new Set(next.map((j) => j.id))
      d.store().replace(
        [...mine.keys()].filter((id) => !keep.has(id)),
        next,
      )
      d.changed()
      return { jobs: next.map((j) => j.id) }
    },
    checkWorkflow(workflow, triggers) {
      plan(d, workflow, triggers, false)
    },
    removeWorkflow(workflow) {
      const store = d.store()
      const ids = ownJobs(store, workflow).map((j) => j.id)
      store.replace(ids, [])
      if (ids.length) d.changed()
      return ids.length
    },
  }
}
