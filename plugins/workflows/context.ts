/**
 * What the route files of this plugin share: the store and runner accessors (503 until they are
 * started), the Workflows space, the optional cron seam, and the after-save effects (cron sync,
 * the `workflow.revision.published` event, the audit entry) in one place so save, republish and
 * deprecate agree.
 */
import { join } from 'node:path'
import {
  CronTriggersRef,
  domainProjects,
  httpError,
  isHttpError,
  WorkflowRunnerRef,
  type DomainStore,
  type PluginApi,
  type RevkaRequest,
  type Revision,
  type WorkflowRunnerService,
  type WorkflowValidation,
} from '@revka/plugin-sdk'
import { RunQuota } from './run-quota.js'

export interface WorkflowsOptions {
  max_listed: number
  max_runs_listed: number
  max_active_runs_per_credential: number
  revise_timeout_secs: number
}

export interface Ctx {
  api: PluginApi<WorkflowsOptions>
  store: () => DomainStore
  runner: () => WorkflowRunnerService
  space: () => string
  /** the operator's built-in workflows (`<plugin dir>/builtins/`), merged over the shipped ones */
  builtinsDir: string
  /** unfinished runs per credential (run/{name}, retry) */
  runQuota: RunQuota
  /**
   * make the workflow's cron jobs match its YAML (no cron plugin: nothing to do); settles when the
   * scheduler has them (cluster mode: committed, so every node lists them before the answer)
   */
  syncCron: (itemName: string, yaml: string | null) => Promise<void>
  /**
   * 507 `cron_quota_exceeded` when the scheduler has no room for these triggers (asked before a
   * save is stored; cluster mode: counted over the cluster); a lost engine's 503 goes through
   */
  checkCron: (itemName: string, triggers: WorkflowValidation['cron_triggers']) => Promise<void>
  published: (p: { workflowKref: string; revision: Revision; name: string; session: string | null }) => void
  audit: (req: RevkaRequest | undefined, eventType: 'config_change' | 'command_execution', command: string, ok?: boolean) => void
}

export function makeCtx(api: PluginApi<WorkflowsOptions>, store: () => DomainStore): Ctx {
  let runner: WorkflowRunnerService | undefined
  api.onStart(() => {
    runner = api.services.get(WorkflowRunnerRef)
  })
  const ctx: Ctx = {
    api,
    store,
    runner: () => {
      if (!runner) throw httpError(503, 'runner_starting', 'The workflow runner is starting', { retryAfter: 1 })
      return runner
    },
    space: () => `/${domainProjects(api.gateway).harness}/Workflows`,
    builtinsDir: join(api.store.dir, 'builtins'),
    runQuota: new RunQuota(api.config.max_active_runs_per_credential, (id) => runner?.getRun(id)?.status),
    async syncCron(itemName, yaml) {
      const cron = api.services.find(CronTriggersRef)
      if (!cron) return
      try {
        if (yaml === null) await cron.removeWorkflow(itemName)
        else await cron.syncWorkflow(itemName, ctx.runner().validate(yaml).cron_triggers)
      } catch (err) {
        // the definition is saved; a scheduler that cannot take the jobs is logged, as the reference does
        api.log.warn({ err, workflow: itemName }, 'workflow cron sync failed')
      }
    },
    async checkCron(itemName, triggers) {
      const cron = api.services.find(CronTriggersRef)
      if (!cron || !triggers.length) return
      try {
        await cron.checkWorkflow(itemName, triggers)
      } catch (err) {
        if (isHttpError(err)) throw err
        throw httpError(507, 'cron_quota_exceeded', `The workflow was not saved: ${(err as Error).message.replace(/^REVKA_ERR_\w+: /, '')}`)
      }
    },
    published({ workflowKref, revision, name, session }) {
      api.events.emit('workflow.revision.published', {
        workflow_kref: workflowKref,
        revision_kref: revision.kref,
        revision_number: revision.number,
        name,
        published_at: new Date(api.gateway.now()).toISOString(),
        originating_session: session,
      })
    },
    audit(req, eventType, command, ok = true) {
      api.audit.record({ event_type: eventType, action: { command, risk_level: 'low', approved: true, allowed: true }, result: { success: ok } }, req)
    },
  }
  return ctx
}

/** `X-Revka-Session` (the editor tab that saved), bounded; null when absent. */
export function sessionHeader(req: RevkaRequest): string | null {
  const v = req.headers['x-revka-session']
  const s = Array.isArray(v) ? v[0] : v
  return typeof s === 'string' && s ? s.slice(0, 128) : null
}
