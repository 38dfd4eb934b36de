/**
 * config — read and replace config.toml over HTTP (contract §1.2). Secrets never leave the gateway:
 * GET masks them, and PUT restores any value still masked from the file on disk, so a client can
 * send back exactly what it read. The kernel's `gateway-config` service does the parsing, checks
 * and atomic write; this plugin is its HTTP face, decides who is asking, and records every PUT
 * (and refusal) in the gateway's audit log as a `config_change` — key names only, never values.
 *
 * Unlike the reference, a paired device (a bearer not on loopback) may not change security-bearing
 * keys (`[gateway]`, `[nodes]`, `[observability]`, a provider's `base_url`/`api_key_env`/`headers`,
 * and secrets such as a provider's `api_key`): 403 `config_key_protected` naming them, nothing
 * written. Loopback and the service token may; what they change outside the live sections takes
 * effect on restart (`restart_required` in the answer).
 */
import { definePlugin, isHttpError, KernelServices, type RevkaRequest } from '@revka/plugin-sdk'
import { tomlText } from './toml-body.js'
import { actorOf, mayChangeProtected } from './actor.js'

/** The reference advertises 1 MiB here; unlike the reference, this limit is the one enforced. */
export const CONFIG_BODY_LIMIT = 1_048_576

export default definePlugin({
  setup(api) {
    const config = () => api.services.get(KernelServices.config)
    /** one `config_change` entry; names of the keys only: values, secrets above all, never reach the log */
    const record = (req: RevkaRequest, keys: string[], refused?: { status: number; code: string }) => {
      const names = keys.length ? keys.join(', ') : '(none)'
      api.audit.record(
        {
          event_type: 'config_change',
          action: { command: `config.put ${names}`, risk_level: refused ? 'high' : 'medium', approved: !refused, allowed: !refused },
          result: refused ? { success: false, exit_code: refused.status, error: refused.code } : { success: true },
          security: { policy_violation: refused?.code === 'config_key_protected' },
        },
        req,
      )
    }

    api.routes.add({
      method: 'GET',
      url: '/api/config',
      auth: 'bearer',
      description: '{format:"toml", content} with secret values, header values and URL credentials masked',
      handler: () => ({ format: 'toml', content: config().masked() }),
    })

    api.routes.add({
      method: 'PUT',
      url: '/api/config',
      auth: 'bearer',
      bodyLimit: CONFIG_BODY_LIMIT,
      rawBody: true,
      description:
        'replace config.toml with the raw TOML body; masked values are kept from the current file; security-bearing keys need loopback or the service token',
      handler: async (req) => {
        const actor = actorOf(req)
        try {
          const text = tomlText(req)
          const result = await config().replace(text, { mayChangeProtected: mayChangeProtected(actor) })
          record(req, result.changedKeys)
          api.log.info({ actor, changedKeys: result.changedKeys, restartKeys: result.restartKeys }, 'config.toml replaced')
          return {
            // the contract's three fields. This gateway has no config-driven MCP registry to
            // reconnect (the MCP plugin reads none), and it never restarts itself
            status: 'ok',
            mcp_registry: { status: 'disabled', servers: 0, tools: 0 },
            restart: result.restartRequired
              ? `skipped — restart the gateway to apply ${result.restartKeys.join(', ')}`
              : 'skipped — every change is already in effect',
            // these keys apply on the next start; until then the gateway runs with the old values
            restart_required: result.restartKeys,
            changed_keys: result.changedKeys,
            content: result.content,
          }
        } catch (e) {
          if (isHttpError(e)) {
            const keys = e.options.extra?.keys
            record(req, Array.isArray(keys) ? keys.map(String) : [], { status: e.statusCode, code: e.code })
            if (e.statusCode === 403) api.log.warn({ actor, keys }, 'config change refused: security-bearing keys from a device')
          }
          throw e
        }
      },
    })
  },
})
