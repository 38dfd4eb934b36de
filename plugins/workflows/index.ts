/**
 * workflows — DOMAIN.md §7 and §8 around the `workflow-runner` service: the definition routes
 * (items of kind `workflow` in `/<harness>/Workflows`, the YAML as each revision's
 * `workflow.yaml` artifact, built-ins merged from this plugin's `builtins/` and the operator's
 * `<state>/plugins/workflows/builtins/`), the run routes (thin over the runner), the architect, and the
 * cron sync of `triggers[].cron` through the cron plugin's `cron-triggers` service when it runs.
 *
 * Deliberate differences (quirks not copied): validation is never skipped; a kref sent with
 * `kref://` is not prefixed twice; the cron sync is scoped to the saved workflow; restoring a
 * deprecated workflow re-syncs its cron jobs; `GET /runs?limit` is bounded (`max_runs_listed`);
 * `agent_id` is one plain segment; the list reads up to `max_listed` items, not the first 100.
 */
import { definePlugin, domainStoreAccessor } from '@revka/plugin-sdk'
import { addArchitectRoutes } from './architect-routes.js'
import { makeCtx, type WorkflowsOptions } from './context.js'
import { addDefinitionRoutes } from './definition-routes.js'
import { addRunRoutes } from './run-routes.js'

export default definePlugin<WorkflowsOptions>({
  setup(api) {
    const ctx = makeCtx(api, domainStoreAccessor(api))
    addDefinitionRoutes(ctx)
    addRunRoutes(ctx)
    addArchitectRoutes(ctx)
  },
})
