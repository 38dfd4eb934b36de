/**
 * Saving a workflow (§7.1 create/update): validate with the runner (a real YAML parser and
 * schema; errors name the line and field), ask the scheduler for room for its cron triggers (none:
 * 507 and nothing is stored), store the revision with its `workflow.yaml`, tag it `published`,
 * sync its cron triggers, broadcast `workflow.revision.published`, audit. The check and the sync
 * are awaited, so in cluster mode the quota is the cluster's and the triggers are on every node
 * before the answer; they are two transactions, so a save racing another node's creates for the
 * last slots can pass the check and have its sync refused, which is logged as on one node. An
 * invalid workflow is refused with 400 and nothing is stored. Unlike the reference, validation is
 * never skipped: the runner is a required service here, not a process that may be down.
 */
import {
  MAX_WORKFLOW_CRON_TRIGGERS,
  reply,
  slugify,
  httpError,
  typedBody,
  type BrandedReply,
  type Revision,
  type RevkaRequest,
  type WorkflowValidation,
} from '@revka/plugin-sdk'
import { sessionHeader, type Ctx } from './context.js'
import { workflowOf } from './workflow-shape.js'
import { revisionInput, workflowItem, WORKFLOW_KIND, type SaveBody } from './workflow-store.js'

/** the 400 of an invalid workflow; `context` is `save` or `dispatch` (§7.1, §7.2) */
export function invalidWorkflow(v: Pick<WorkflowValidation, 'errors' | 'warnings'>, context: 'save' | 'dispatch'): BrandedReply {
  return reply({
    status: 400,
    body: {
      error: `Workflow validation failed: cannot ${context} invalid workflow`,
      code: 'workflow_invalid',
      valid: false,
      errors: v.errors,
      warnings: v.warnings,
    },
  })
}

/** the runner's findings, plus the gateway's own bound on cron triggers */
function check(ctx: Ctx, yaml: string): WorkflowValidation {
  const v = ctx.runner().validate(yaml)
  if (v.cron_triggers.length <= MAX_WORKFLOW_CRON_TRIGGERS) return v
  const message = `a workflow may have at most ${MAX_WORKFLOW_CRON_TRIGGERS} cron triggers (this one has ${v.cron_triggers.length})`
  return { ...v, valid: false, errors: [...v.errors, { message, severity: 'error', field: 'triggers' }] }
}

function saveBody(body: unknown): SaveBody {
  return typedBody(body, { required: ['name', 'description', 'definition'], lists: ['tags'] }) as SaveBody
}

export async function createWorkflow(ctx: Ctx, req: RevkaRequest): Promise<BrandedReply> {
  const b = saveBody(req.body)
  const slug = slugify(b.name)
  if (!slug) throw httpError(400, 'invalid_name', 'name must contain a letter or digit')
  const v = check(ctx, b.definition)
  if (!v.valid) return invalidWorkflow(v, 'save')
  await ctx.checkCron(slug, v.cron_triggers)
  const { item, revision } = await ctx
    .store()
    .createItem({ space_path: ctx.space(), item_name: slug, kind: WORKFLOW_KIND, revision: revisionInput(b, ['published']) })
  await after(ctx, req, item.kref, item.item_name, revision!, b, 'created')
  return reply({ status: 201, body: { workflow: workflowOf(item, revision, b.definition) } })
}

export async function updateWorkflow(ctx: Ctx, req: RevkaRequest): Promise<unknown> {
  const b = saveBody(req.body)
  const item = await workflowItem(ctx.store(), ctx.space(), req.params['*'])
  const v = check(ctx, b.definition)
  if (!v.valid) return invalidWorkflow(v, 'save')
  await ctx.checkCron(item.item_name, v.cron_triggers)
  const revision = await ctx.store().createRevision(item.kref, revisionInput(b, ['published']))
  await after(ctx, req, item.kref, item.item_name, revision, b, 'updated')
  return { workflow: workflowOf(item, revision, b.definition, { createdAt: false }) }
}

async function after(ctx: Ctx, req: RevkaRequest, kref: string, itemName: string, revision: Revision, b: SaveBody, what: string): Promise<void> {
  await ctx.syncCron(itemName, b.definition)
  ctx.published({ workflowKref: kref, revision, name: b.name, session: sessionHeader(req) })
  ctx.audit(req, 'config_change', `Workflow ${what}: ${b.name} (${revision.kref})`)
}
