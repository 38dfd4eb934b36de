/**
 * ops — the operator's read-only views (contract DOMAIN.md §17, GATEWAY.md §1.1), all bearer:
 * the doctor (`GET`/`POST /api/doctor`, the same checks as `revka doctor` plus what only a running
 * gateway knows), the agent's tools with their JSON Schemas, integrations derived from the installed
 * plugins, CLI tools on PATH (probed once, cached), and every discovered plugin with its state,
 * phase timings and diagnostics (`GET /api/plugins`; the reference has it only behind a build feature).
 */
import { dirname } from 'node:path'
import { definePlugin, KernelServices } from '@revka/plugin-sdk'
import { integrationSettings, integrations } from './integrations.js'

export default definePlugin({
  setup(api) {
    const ops = () => api.services.get(KernelServices.ops)

    api.routes.add({
      method: ['GET', 'POST'],
      url: '/api/doctor',
      auth: 'bearer',
      description: 'run the doctor: {results:[{severity, category, message}], summary:{ok, warnings, errors}} (a POST body is ignored)',
      handler: () => ops().doctor(),
    })

    api.routes.add({
      method: 'GET',
      url: '/api/tools',
      auth: 'bearer',
      description: 'every tool the agent runtime offers, with its JSON Schema',
      handler: async () => {
        const tools = await api.services.get(KernelServices.tools).list()
        return { tools: tools.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters })) }
      },
    })

    api.routes.add({
      method: 'GET',
      url: '/api/integrations',
      auth: 'bearer',
      description: 'integrations of the installed plugins (manifest "integration"), Active when running',
      handler: () => ({ integrations: integrations(ops().plugins()) }),
    })

    api.routes.add({
      method: 'GET',
      url: '/api/integrations/settings',
      auth: 'bearer',
      description: 'the same, keyed by name: {enabled, category, status}',
      handler: () => ({ settings: integrationSettings(integrations(ops().plugins())) }),
    })

    api.routes.add({
      method: 'GET',
      url: '/api/cli-tools',
      auth: 'bearer',
      description: 'known CLI tools found on PATH with their versions (probed once per process)',
      handler: async () => ({ cli_tools: await ops().cliTools() }),
    })

    api.routes.add({
      method: 'GET',
      url: '/api/plugins',
      auth: 'bearer',
      description: 'every discovered plugin: manifest summary, state, phase timings, diagnostics',
      handler: () => {
        const plugins = ops().plugins()
        const builtin = plugins.find((p) => p.source === 'builtin')
        return {
          plugins_enabled: true,
          plugins_dir: builtin ? dirname(builtin.dir) : null,
          // the reference's fields (name, version, description, capabilities, loaded), then ours;
          // `name` is the id there, so the manifest's name is `display_name`
          plugins: plugins.map(({ name, ...p }) => ({ ...p, name: p.id, display_name: name, capabilities: p.provides, loaded: p.status === 'started' })),
        }
      },
    })
  },
})
