/**
 * status — liveness and the status document. `/health` is public and carries no secrets: states,
 * timestamps and diagnostics only. `/api/status` is built through the kernel's `status` hook so every
 * plugin can add its fields.
 */
import { definePlugin, KernelServices, reply } from '@revka/plugin-sdk'

const HEALTH_HEADERS = Object.freeze({ 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8' })
const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json; charset=utf-8' })

export default definePlugin({
  setup(api) {
    const status = () => api.services.get(KernelServices.status)
    const pairing = () => api.services.get(KernelServices.pairing)
    // `/health` is polled hard and its snapshot is reused by the kernel for up to a second: reuse
    // the serialised body too while nothing in it changed (serialising dominated its cost)
    let last: { snapshot: object; uptime: number; paired: boolean; required: boolean; degraded: boolean; json: string } | undefined

    api.routes.add({
      method: 'GET',
      url: '/health',
      auth: 'public',
      description: 'liveness, pairing state and one component per plugin',
      handler: async () => {
        const { degraded, snapshot } = await status().health()
        const p = pairing().status()
        if (!last || last.snapshot !== snapshot || last.uptime !== snapshot.uptime_seconds || last.paired !== p.paired || last.required !== p.requirePairing || last.degraded !== degraded) {
          const json = JSON.stringify({ status: degraded ? 'degraded' : 'ok', paired: p.paired, require_pairing: p.requirePairing, runtime: snapshot })
          last = { snapshot, uptime: snapshot.uptime_seconds, paired: p.paired, required: p.requirePairing, degraded, json }
        }
        return reply({ headers: HEALTH_HEADERS, body: last.json })
      },
    })

    api.routes.add({
      method: 'GET',
      url: '/api/status',
      auth: 'bearer',
      description: 'status overview (contract §6), extended by the status hook',
      handler: async () => reply({ headers: JSON_HEADERS, body: await status().documentJson({ authenticated: true }) }),
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
