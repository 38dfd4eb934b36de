/**
 * The `cron-triggers` service (DOMAIN §7.3): a workflow's `triggers[].cron` entries become jobs
 * `__wf_cron_<slug>_<idx>` (`job_type: workflow`, `source: workflow`, `command` = the workflow).
 * Scoped to that one workflow, unlike the reference (whose sync deleted every other workflow's
 * jobs): only ids of exactly this slug whose `command` is this workflow are created, changed or
 * removed. Two workflows whose names map to the same slug would share ids; the second one's jobs
 * are then refused rather than taking the first one's.
 */
import { MAX_WORKFLOW_CRON_TRIGGERS, RevkaError, type CronTriggerService, type Logger } from '@revka/plugin-sdk'
import { sqliteTriggerView, type CronStore, type TriggerView } from './cron-store.js'
import { checkExpression } from './job-shape.js'
import { nextAfter } from './schedule.js'
import type { Job } from './store.js'

export const workflowSlug = (name: string) => name.replace(/[^A-Za-z0-9]/g, '_').toLowerCase()
const idPrefix = (workflow: string) => `__wf_cron_${workflowSlug(workflow)}_`

export interface TriggerDeps {
  store: () => CronStore
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
function ownJobs(view: TriggerView, workflow: string): Job[] {
  const re = new RegExp(`^${idPrefix(workflow)}\\d+$`)
  return view.withPrefix.filter((j) => re.test(j.id) && j.source === 'workflow' && j.command === workflow)
}

const triggerIds = (workflow: string, triggers: unknown[]) => triggers.map((_, idx) => `${idPrefix(workflow)}${idx}`)

function checkCap(workflow: string, triggers: unknown[]): void {
  if (triggers.length > MAX_WORKFLOW_CRON_TRIGGERS) {
    throw new RevkaError(
      'REVKA_ERR_WORKFLOW_TRIGGERS',
      `a workflow may have at most ${MAX_WORKFLOW_CRON_TRIGGERS} cron triggers (${workflow} has ${triggers.length})`,
    )
  }
}

/** the jobs `triggers` make for `workflow`, or the refusal syncWorkflow would throw; `warn`: log what is skipped */
function plan(
  d: TriggerDeps,
  view: TriggerView,
  workflow: string,
  triggers: Array<{ cron: string; timezone?: string }>,
  warn: boolean,
): { mine: Map<string, Job>; next: Job[] } {
  checkCap(workflow, triggers)
  const now = d.now()
  const mine = new Map(ownJobs(view, workflow).map((j) => [j.id, j]))
  const next: Job[] = []
  triggers.forEach((t, idx) => {
    const id = `${idPrefix(workflow)}${idx}`
    if (view.taken.has(id) && !mine.has(id)) {
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
  if (added && view.count + added > d.maxJobs) {
    throw new RevkaError(
      'REVKA_ERR_CRON_QUOTA',
      `the gateway's ${d.maxJobs} cron jobs (plugins.cron.options.max_jobs) leave no room for ${workflow}'s ${added} new cron triggers`,
    )
  }
  return { mine, next }
}

/** the delete/put that make `workflow`'s jobs exactly `triggers`, from what `view` holds */
function write(d: TriggerDeps, view: TriggerView, workflow: string, triggers: Array<{ cron: string; timezone?: string }>) {
  const { mine, next } = plan(d, view, workflow, triggers, true)
  const keep = new Set(next.map((j) => j.id))
  return { remove: [...mine.keys()].filter((id) => !keep.has(id)), put: next, value: next.map((j) => j.id) }
}

const nothing = { remove: [], put: [], value: undefined }

/**
 * On one node the service stays synchronous (the SQLite store answers at once; a refusal is
 * thrown). In cluster mode each call is one PostgreSQL transaction under the store's quota lock
 * (pg-store.ts `triggers`) and answers when it has committed: a sync is on every node when it
 * resolves, `max_jobs` is counted over the cluster, and a refusal or a lost engine (503
 * `cluster_unavailable`) is a rejection the caller sees.
 */
export function workflowTriggers(d: TriggerDeps): CronTriggerService {
  // cluster syncs and removals commit one after another in call order: a workflow saved twice in
  // a row on this node ends with its second triggers
  let queue: Promise<unknown> = Promise.resolve()
  const inOrder = <T>(write: () => Promise<T>): Promise<T> => {
    const p = queue.then(write)
    queue = p.catch(() => undefined)
    return p
  }
  return {
    syncWorkflow(workflow, triggers) {
      checkCap(workflow, triggers)
      const store = d.store()
      const ids = triggerIds(workflow, triggers)
      if (store.sync) {
        const w = write(d, sqliteTriggerView(store.sync, idPrefix(workflow), ids), workflow, triggers)
        store.sync.replace(w.remove, w.put)
        d.changed()
        return { jobs: w.value }
      }
      return inOrder(async () => {
        const jobs = await store.triggers(idPrefix(workflow), ids, (v) => write(d, v, workflow, triggers))
        d.changed()
        return { jobs }
      })
    },
    checkWorkflow(workflow, triggers) {
      checkCap(workflow, triggers)
      const store = d.store()
      const ids = triggerIds(workflow, triggers)
      if (store.sync) {
        plan(d, sqliteTriggerView(store.sync, idPrefix(workflow), ids), workflow, triggers, false)
        return
      }
      // read under the quota lock, write nothing: plan throws what a sync would
      return store.triggers(idPrefix(workflow), ids, (v) => {
        plan(d, v, workflow, triggers, false)
        return nothing
      })
    },
    removeWorkflow(workflow) {
      const store = d.store()
      const remove = (v: TriggerView) => {
        const ids = ownJobs(v, workflow).map((j) => j.id)
        return { remove: ids, put: [], value: ids.length }
      }
      if (store.sync) {
        const w = remove(sqliteTriggerView(store.sync, idPrefix(workflow), []))
        store.sync.replace(w.remove, [])
        if (w.value) d.changed()
        return w.value
      }
      return inOrder(async () => {
        const n = await store.triggers(idPrefix(workflow), [], remove)
        if (n) d.changed()
        return n
      })
    },
  }
}
