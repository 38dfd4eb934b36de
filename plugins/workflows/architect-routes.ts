/**
 * The architect routes of §8: `validate_yaml` (the runner's findings with line numbers and the
 * step ids added/modified/removed against `base_yaml`), `revisions`, `republish`, and `revise`
 * (revise.ts). The contract's plain-text refusals keep their text as `error` of the gateway's one
 * JSON error shape (`{error, code}`), as every other route answers.
 */
import { AgentRuntimeRef, KREF_SCHEME, reply, type RevkaRequest } from '@revka/plugin-sdk'
import type { Ctx } from './context.js'
import { MAX_OPERATIONS, MAX_REVISE_YAML, reviseYaml, type Operation } from './revise.js'
import { diffSteps } from './step-diff.js'
import { readYaml, revisionInput, workflowItem } from './workflow-store.js'

const refuse = (status: number, code: string, text: string) => reply({ status, body: { error: text, code } })
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : undefined)
const obj = (b: unknown): Record<string, unknown> => (b && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : {})
/** the revise turn may take longer than the global 30 s: a model writing a whole YAML often does */
const REVISE_ROUTE_MS = 600_000

export function addArchitectRoutes(ctx: Ctx): void {
  const { api } = ctx

  api.routes.add({
    method: 'POST',
    url: '/api/architect/validate_yaml',
    auth: 'bearer',
    description: "the runner's findings for {yaml, base_yaml?, intent_summary?} plus the step ids added/modified/removed",
    handler: (req: RevkaRequest) => {
      const b = obj(req.body)
      const yaml = str(b.yaml)
      if (yaml === undefined) return refuse(400, 'missing_field', 'yaml required')
      const base = typeof b.base_yaml === 'string' ? b.base_yaml : undefined
      const v = ctx.runner().validate(yaml)
      const diff = diffSteps(base, yaml)
      const summary =
        str(b.intent_summary) ??
        `${v.all_step_ids.length} steps: ${diff.added_step_ids.length} added, ${diff.modified_step_ids.length} modified, ${diff.removed_step_ids.length} removed`
      return { valid: v.valid, yaml, summary, errors: v.errors, warnings: v.warnings, ...diff }
    },
  })

  api.routes.add({
    method: 'GET',
    url: '/api/architect/revisions',
    auth: 'bearer',
    description: "a workflow's revisions in store order: {revisions: [{kref, number, created_at, tags, metadata}]}",
    handler: async (req: RevkaRequest) => {
      const raw = str((req.query as Record<string, string | undefined>).workflow_kref)
      if (raw === undefined) return refuse(400, 'missing_field', 'workflow_kref required')
      const item = await workflowItem(ctx.store(), ctx.space(), raw)
      const revs = await ctx.store().listRevisions(item.kref)
      return { revisions: revs.map((r) => ({ kref: r.kref, number: r.number, created_at: r.created_at ?? null, tags: r.tags, metadata: r.metadata })) }
    },
  })

  api.routes.add({
    method: 'POST',
    url: '/api/architect/republish',
    auth: 'bearer',
    description: 'tag a revision published (its cron triggers follow) and broadcast workflow.revision.published',
    handler: async (req: RevkaRequest) => {
      const raw = str(obj(req.body).revision_kref)
      if (raw === undefined) return refuse(400, 'missing_field', 'revision_kref required')
      const kref = raw.startsWith(KREF_SCHEME) ? raw : KREF_SCHEME + raw
      const store = ctx.store()
      const item = await workflowItem(store, ctx.space(), kref)
      const rev = await store.getRevision(kref)
      if (!rev) return reply({ status: 404, body: { error: 'revision not found', code: 'not_found', error_code: 'not_found' } })
      const tagged = await store.tagRevision(rev.kref, 'published')
      await ctx.syncCron(item.item_name, await readYaml(store, tagged))
      ctx.published({ workflowKref: item.kref, revision: tagged, name: tagged.metadata.display_name || item.item_name, session: null })
      ctx.audit(req, 'config_change', `Workflow republished: ${tagged.kref}`)
      return { ok: true, revision_kref: tagged.kref }
    },
  })

  api.routes.add({
    method: 'POST',
    url: '/api/architect/revise',
    auth: 'bearer',
    timeoutMs: REVISE_ROUTE_MS,
    description: 'ask the agent runtime to apply {operations, rationale?} to the current YAML; stored as a new, unpublished revision',
    handler: async (req: RevkaRequest) => {
      const b = obj(req.body)
      const raw = str(b.workflow_kref)
      if (raw === undefined) return refuse(400, 'missing_field', 'workflow_kref required')
      if (!Array.isArray(b.operations) || !b.operations.length) return refuse(400, 'invalid_field', 'operations must be non-empty')
      if (b.operations.length > MAX_OPERATIONS) return refuse(400, 'invalid_field', `at most ${MAX_OPERATIONS} operations`)
      const ops = b.operations.map((o) => obj(o) as unknown as Operation)
      const store = ctx.store()
      const item = await workflowItem(store, ctx.space(), raw)
      const current = await store.currentRevision(item.kref)
      const yaml = await readYaml(store, current)
      if (!current || yaml === null) return refuse(409, 'workflow_unreadable', 'revise_workflow failed: the workflow has no readable workflow.yaml')
      if (Buffer.byteLength(yaml) > MAX_REVISE_YAML)
        return refuse(413, 'too_large', `revise_workflow failed: the workflow is larger than ${MAX_REVISE_YAML} bytes`)
      const runtime = api.services.find(AgentRuntimeRef)
      if (!runtime) return refuse(409, 'agent_runtime_disabled', 'revise_workflow failed: no agent runtime is enabled (plugin agent-runtime)')
      let out
      try {
        out = await reviseYaml(runtime, ctx.runner(), yaml, ops, str(b.rationale), api.config.revise_timeout_secs * 1000)
      } catch (err) {
        return refuse(502, 'revise_failed', `revise_workflow failed: ${(err as Error)?.message ?? String(err)}`)
      }
      let newKref: string | null = null
      if (out.success && out.yaml) {
        const m = current.metadata
        const rev = await store.createRevision(
          item.kref,
          revisionInput(
            { name: m.display_name || item.item_name, description: m.description ?? '', definition: out.yaml, tags: (m.tags ?? '').split(',') },
            [],
          ),
        )
        newKref = rev.kref
        ctx.audit(req, 'config_change', `Workflow revised (not published): ${rev.kref}`)
      }
      return { success: out.success, new_revision_kref: newKref, applied_count: out.applied_count, skipped_items: out.skipped_items, errors: out.errors }
    },
  })
}
