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

/**
 * The SDK's service is synchronous, and on one node it stays so (the SQLite store answers at
 * once: a refusal is thrown to the caller). In cluster mode the shared table is written in one
 * PostgreSQL transaction under the store's quota lock, which settles after the call returns: the
 * cap on triggers is still thrown at once, but a sync that finds no room in `max_jobs` (or an
 * unreachable engine) is logged as REVKA_ERR_CRON_TRIGGERS, as the workflows plugin logs a
 * refused sync, and `checkWorkflow` cannot ask the shared count before a save.
 */
export function workflowTriggers(d: TriggerDeps): CronTriggerService {
  // one after another, in call order: a workflow saved twice in a row ends with its second triggers
  let queue: Promise<unknown> = Promise.resolve()
  const later = (workflow: string, what: string, write: () => Promise<unknown>) =>
    (queue = queue.then(write).then(
      () => d.changed(),
      (err) => d.log.error({ workflow, err: (err as Error).message }, `REVKA_ERR_CRON_TRIGGERS: ${what} failed`),
    ))
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
      void later(workflow, 'cron trigger sync', () => store.triggers(idPrefix(workflow), ids, (v) => write(d, v, workflow, triggers)))
      // what the transaction will write unless another workflow holds an id or max_jobs is full
      return { jobs: ids.filter((_, i) => expressionOk(triggers[i])) }
    },
    checkWorkflow(workflow, triggers) {
      checkCap(workflow, triggers)
      const sync = d.store().sync
      if (sync) plan(d, sqliteTriggerView(sync, idPrefix(workflow), triggerIds(workflow, triggers)), workflow, triggers, false)
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
      void later(workflow, 'cron trigger removal', () => store.triggers(idPrefix(workflow), [], remove))
      // the count is not known until the transaction commits
      return 0
    },
  }
}

function expressionOk(t: { cron: string; timezone?: string }): boolean {
  try {
    checkExpression(t.cron, t.timezone ?? null)
    return true
  } catch {
    return false
  }
}
