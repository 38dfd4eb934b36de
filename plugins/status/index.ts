/**
 * status — liveness and the status document. `/health` is public and carries no secrets: states,
 * timestamps and diagnostics only. `/api/status` is built through the kernel's `status` hook so every
 * plugin can add its fields.
 */
import { definePlugin, KernelServices, reply } from '@revka/plugin-sdk'

export default definePlugin({
  setup(api) {
    const status = () => api.services.get(KernelServices.status)
    const pairing = () => api.services.get(KernelServices.pairing)

    api.routes.add({
      method: 'GET',
      url: '/health',
      auth: 'public',
      description: 'liveness, pairing state and one component per plugin',
      handler: async () => {
        const { degraded, snapshot } = await status().health()
        const p = pairing().status()
        return reply({
          headers: { 'cache-control': 'no-store' },
          body: { status: degraded ? 'degraded' : 'ok', paired: p.paired, require_pairing: p.requirePairing, runtime: snapshot },
        })
      },
    })

    api.routes.add({
      method: 'GET',
      url: '/api/status',
      auth: 'bearer',
      description: 'status overview (contract §6), extended by the status hook',
      handler: () => status().document({ authenticated: true }),
    })

    api.routes.add({
      method: 'GET',
      url: '/api/health',
      auth: 'bearer',
      description: '{health: HealthSnapshot}',
      handler: async () => ({ health: (await status().health()).snapshot }),
    })
  },
})
