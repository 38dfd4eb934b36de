/**
 * The definition routes of §7.1: list (with the built-ins merged), create, update, deprecate,
 * delete, one revision, and the dashboard aggregate. POST/PUT take 16 MiB in 120 s; the kernel
 * answers 413 past the limit before any handler runs.
 */
import { boolParam, KREF_SCHEME, parseKref, reply, typedBody, type Item, type RevkaRequest } from '@revka/plugin-sdk'
import { loadBuiltins } from './builtins.js'
import type { Ctx } from './context.js'
import { createWorkflow, updateWorkflow } from './save.js'
import { builtinOf, workflowOf } from './workflow-shape.js'
import { listWorkflowItems, readYaml, workflowItem, WORKFLOW_KIND } from './workflow-store.js'

export const SAVE_LIMIT = 16 * 1024 * 1024
const SAVE_TIMEOUT_MS = 120_000
const REVISION_MISSING = 'workflow revision is invalid: workflow.yaml artifact is missing or unreadable'

export function addDefinitionRoutes(ctx: Ctx): void {
  const { api } = ctx

  /** stored workflows (published-else-latest, unreadable YAML dropped), then the built-ins they do not hide */
  const list = async (o: { q: string; includeDeprecated: boolean; includeDefinition: boolean }) => {
    const store = ctx.store()
    const items = await listWorkflowItems(store, ctx.space(), { ...o, max: api.config.max_listed })
    const revs = await store.currentRevisions(items.map((i) => i.kref))
    const builtins = loadBuiltins(ctx.builtinsDir, api.log)
    const out: Record<string, unknown>[] = []
    const stored = await Promise.all(items.map(async (i) => [i, await readYaml(store, revs.get(i.kref) ?? null)] as const))
    for (const [item, yaml] of stored) {
      if (yaml === null) continue
      const source = builtins.delete(item.item_name) ? 'builtin-modified' : 'custom'
      out.push(workflowOf(item, revs.get(item.kref) ?? null, yaml, { includeDefinition: o.includeDefinition, source }))
    }
    const q = o.q.toLowerCase()
    for (const b of builtins.values()) {
      const w = builtinOf(b, o.includeDefinition)
      if (q && ![w.name, w.item_name, w.description].some((s) => String(s).toLowerCase().includes(q))) continue
      out.push(w)
    }
    return out
  }
  const flags = (query: Record<string, string | undefined>) => ({
    includeDeprecated: boolParam('include_deprecated', query.include_deprecated),
    // the dashboard always asks for it; absent means true as well
    includeDefinition: query.include_definition === undefined ? true : boolParam('include_definition', query.include_definition),
    q: (query.q ?? '').trim().slice(0, 256),
  })

  api.routes.add({
    method: 'GET',
    url: '/api/workflows',
    auth: 'bearer',
    description: 'workflows (include_deprecated, include_definition, q full-text) with the built-ins merged',
    handler: async (req: RevkaRequest) => ({ workflows: await list(flags(req.query as Record<string, string | undefined>)) }),
  })

  api.routes.add({
    method: 'POST',
    url: '/api/workflows',
    auth: 'bearer',
    bodyLimit: SAVE_LIMIT,
    timeoutMs: SAVE_TIMEOUT_MS,
    description: 'create a workflow: validated by the runner, revision 1 with its workflow.yaml, tagged published → 201 {workflow}',
    handler: (req: RevkaRequest) => createWorkflow(ctx, req),
  })

  api.routes.add({
    method: 'PUT',
    url: '/api/workflows/*',
    auth: 'bearer',
    bodyLimit: SAVE_LIMIT,
    timeoutMs: SAVE_TIMEOUT_MS,
    description: 'update a workflow: validated, a new published revision',
    handler: (req: RevkaRequest) => updateWorkflow(ctx, req),
  })

  api.routes.add({
    method: 'POST',
    url: '/api/workflows/deprecate',
    auth: 'bearer',
    description: 'set or clear the soft-hide flag {kref, deprecated}; deprecating removes its cron jobs, restoring re-syncs them',
    handler: async (req: RevkaRequest) => {
      const b = typedBody(req.body, { required: ['kref'], bools: ['deprecated'] })
      const store = ctx.store()
      const item = await store.setItemDeprecated((await workflowItem(store, ctx.space(), b.kref)).kref, b.deprecated)
      const rev = await store.currentRevision(item.kref)
      const yaml = await readYaml(store, rev)
      await ctx.syncCron(item.item_name, b.deprecated ? null : yaml)
      ctx.audit(req, 'config_change', `Workflow ${b.deprecated ? 'deprecated' : 'restored'}: ${item.kref}`)
      return { workflow: workflowOf(item, rev, yaml ?? '', { includeDefinition: false }) }
    },
  })

  api.routes.add({
    method: 'DELETE',
    url: '/api/workflows/*',
    auth: 'bearer',
    description: 'hard delete of a workflow (its revisions and workflow.yaml files) and its cron jobs → 204',
    handler: async (req: RevkaRequest) => {
      const item = await workflowItem(ctx.store(), ctx.space(), req.params['*'])
      await ctx.store().deleteItem(item.kref)
      await ctx.syncCron(item.item_name, null)
      ctx.audit(req, 'config_change', `Workflow deleted: ${item.kref}`)
      return reply({ status: 204 })
    },
  })

  api.routes.add({
    method: 'GET',
    url: '/api/workflows/revisions/*',
    auth: 'bearer',
    encodedWildcard: true,
    description: 'exactly one revision as {workflow}: one encoded revision kref (%2F, %3F allowed in this segment)',
    handler: async (req: RevkaRequest) => {
      const raw = String(req.params['*'] ?? '')
      const kref = raw.startsWith(KREF_SCHEME) ? raw : KREF_SCHEME + raw
      parseKref(kref) // 400 kref_invalid for traversal or anything malformed, before the store is asked
      const store = ctx.store()
      const rev = await store.getRevision(kref)
      const item: Item | null = rev ? await store.getItem(rev.item_kref) : null
      const yaml = item && item.kind === WORKFLOW_KIND && item.space_path === ctx.space() ? await readYaml(store, rev) : null
      if (!rev || !item || yaml === null) return reply({ status: 404, body: { error: REVISION_MISSING, code: 'revision_invalid', revision_kref: kref } })
      return { workflow: workflowOf(item, rev, yaml) }
    },
  })

  api.routes.add({
    method: 'GET',
    url: '/api/workflows/dashboard',
    auth: 'bearer',
    description: 'the dashboard aggregate: definitions, their count, active/total runs and the 5 most recent runs',
    handler: async (req: RevkaRequest) => {
      const f = flags(req.query as Record<string, string | undefined>)
      const definitions = await list({ q: '', includeDeprecated: false, includeDefinition: f.includeDefinition })
      const runner = ctx.runner()
      const counts = runner.counts()
      return {
        dashboard: {
          definitions_count: definitions.length,
          definitions,
          active_runs: counts.active,
          recent_runs: runner.listRuns({ limit: 5 }),
          total_runs: counts.total,
        },
      }
    },
  })
}
