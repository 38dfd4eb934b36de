/**
 * status — liveness and the status document. `/health` is public and carries no secrets: states,
 * timestamps and error codes (full diagnostics only for loopback callers; see public-health.ts).
 * `/api/status` is built through the kernel's `status` hook so every plugin can add its fields;
 * a caller with no credential at all gets the contract's public trimmed answer (§6)
 * `{uptime_seconds, paired, health}` — with `/health`'s redaction off loopback — and a wrong
 * credential is still a 401.
 */
import { definePlugin, KernelServices, reply, type HealthSnapshot } from '@revka/plugin-sdk'
import { publicSnapshot } from './public-health.js'

const HEALTH_HEADERS = Object.freeze({ 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8' })
const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json; charset=utf-8' })

export default definePlugin({
  setup(api) {
    const status = () => api.services.get(KernelServices.status)
    const pairing = () => api.services.get(KernelServices.pairing)
    // `/health` is polled hard and its snapshot is reused by the kernel for up to a second: reuse
    // the serialised body too while nothing in it changed (serialising dominated its cost). One
    // body for the operator's machine (full diagnostics), one for everyone else (codes only).
    type Cached = { snapshot: object; uptime: number; paired: boolean; required: boolean; degraded: boolean; json: string }
    const last: { local?: Cached; remote?: Cached } = {}

    const body = (slot: 'local' | 'remote', degraded: boolean, snapshot: HealthSnapshot): string => {
      const p = pairing().status()
      const c = last[slot]
      if (
        c &&
        c.snapshot === snapshot &&
        c.uptime === snapshot.uptime_seconds &&
        c.paired === p.paired &&
        c.required === p.requirePairing &&
        c.degraded === degraded
      )
        return c.json
      const runtime = slot === 'local' ? snapshot : publicSnapshot(snapshot)
      const json = JSON.stringify({ status: degraded ? 'degraded' : 'ok', paired: p.paired, require_pairing: p.requirePairing, runtime })
      last[slot] = { snapshot, uptime: snapshot.uptime_seconds, paired: p.paired, required: p.requirePairing, degraded, json }
      return json
    }

    api.routes.add({
      method: 'GET',
      url: '/health',
      auth: 'public',
      description: 'liveness, pairing state and one component per plugin (error codes only, except on loopback)',
      handler: async (req) => {
        const { degraded, snapshot } = await status().health()
        return reply({ headers: HEALTH_HEADERS, body: body(req.isLoopback ? 'local' : 'remote', degraded, snapshot) })
      },
    })

    api.routes.add({
      method: 'GET',
      url: '/api/status',
      auth: 'bearer',
      anonymous: true,
      description: 'status overview (contract §6), extended by the status hook; without credentials {uptime_seconds, paired, health}',
      handler: async (req) => {
        if (req.auth.via !== 'anonymous') return reply({ headers: JSON_HEADERS, body: await status().documentJson({ authenticated: true }) })
        const { snapshot } = await status().health()
        return {
          uptime_seconds: snapshot.uptime_seconds,
          paired: pairing().status().paired,
          health: req.isLoopback ? snapshot : publicSnapshot(snapshot),
        }
      },
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
