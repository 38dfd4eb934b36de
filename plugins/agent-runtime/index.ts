/**
 * agent-runtime — provides the `agent-runtime` service: turns against the configured model
 * provider, with the tools every plugin contributes. The provider is chosen and checked at start;
 * a misconfiguration fails this plugin with a diagnostic naming the config key (shown on /health)
 * while the rest of the gateway keeps serving.
 */
import { AgentRuntimeRef, AuthProfilesRef, definePlugin, httpError, KernelServices } from '@revka/plugin-sdk'
import { currentTimeTool } from './builtin-tools.js'
import { AgentRuntime } from './runtime.js'
import { offerableTools } from './tool-runner.js'
import { loadSettings, profileWarnings } from './settings.js'

export default definePlugin({
  setup(api) {
    const runtime = new AgentRuntime({
      // asked per turn, so a tool that appears or leaves (a node connects) is seen by the next turn
      // (a tool whose schema will not serialise is left out rather than failing the turn)
      listTools: async () => offerableTools(await api.services.get(KernelServices.tools).list(), api.log),
      events: api.events,
      log: api.log,
    })
    api.services.provide(AgentRuntimeRef, runtime)

    api.onStart(async () => {
      // auth-profiles is optional (`uses`): only a provider with api_key_profile needs it
      const profiles = api.services.find(AuthProfilesRef)
      const settings = loadSettings((name) => api.gateway.section(name), envView(api.gateway.env), profiles)
      const missing = await profileWarnings(settings, profiles).catch((e) => [`auth profiles could not be checked: ${(e as Error).message}`])
      for (const w of [...settings.warnings, ...missing]) api.log.warn({}, w)
      runtime.configure(settings)
      api.log.info({ provider: settings.provider.name, type: settings.provider.type, model: settings.model }, 'agent runtime ready')
    })
    api.onStop(() => runtime.shutdown())

    // the LLM fields of /api/status are the runtime's: null until it is configured, and for a
    // caller without a credential
    api.hooks.status.tap((doc, ctx) => {
      const s = ctx.authenticated ? runtime.settings : undefined
      // names and numbers only: the api key and base URL headers never reach the status document
      doc.provider = s ? s.provider.name : null
      doc.model = s ? s.model : null
      doc.temperature = s ? s.temperature : null
      return doc
    })

    api.routes.add({
      method: 'GET',
      url: '/api/models',
      auth: 'bearer',
      description: "each configured provider's models, from its models endpoint (cached 5 min)",
      handler: async () => {
        const s = runtime.settings
        if (!s) throw httpError(503, 'agent_runtime_not_running', 'the agent runtime is not running: see /health for plugin:agent-runtime', { retryAfter: 60 })
        return { default_provider: s.provider.name, default_model: s.model, providers: await runtime.listModels() }
      },
    })

    api.hooks.tools.tap((tools) => [...tools, { ...currentTimeTool, plugin: api.id }])
  },
})

/** the kernel's env as an object view, for code written against NodeJS.ProcessEnv */
function envView(get: (name: string) => string | undefined): NodeJS.ProcessEnv {
  return new Proxy({}, { get: (_t, k) => (typeof k === 'string' ? get(k) : undefined) }) as NodeJS.ProcessEnv
}
