/**
 * pairing — exchanging a one-time code for a bearer token, managing paired devices, and the
 * loopback-only admin routes. The kernel owns the codes, hashes and registry (the `pairing`
 * service); this plugin is only their HTTP face.
 */
import { definePlugin, httpError, KernelServices, reply, type RevkaRequest } from '@revka/plugin-sdk'
import { deviceMeta } from './device-meta.js'

export default definePlugin({
  setup(api) {
    const pairing = () => api.services.get(KernelServices.pairing)
    const perMinute = Number((api.gateway.section<{ pair_rate_limit_per_minute?: number }>('gateway') ?? {}).pair_rate_limit_per_minute ?? 10)

    api.routes.add({
      method: 'POST',
      url: '/pair',
      auth: 'public',
      rateLimit: { perMinute },
      description: 'legacy pairing: code in X-Pairing-Code, device metadata in headers',
      handler: async (req) => {
        const code = String(req.headers['x-pairing-code'] ?? '')
        const r = await pairing().pair(code, req.clientKey, deviceMeta(req))
        return {
          paired: true,
          persisted: r.persisted,
          token: r.token,
          device_id: r.deviceId,
          message: 'Save this token — use it as Authorization: Bearer <token>',
        }
      },
    })

    api.routes.add({
      method: 'POST',
      url: '/api/pair',
      auth: 'public',
      rateLimit: { perMinute },
      schema: {
        body: {
          type: 'object',
          required: ['code'],
          additionalProperties: true,
          properties: {
            code: { type: 'string', maxLength: 32 },
            device_name: { type: 'string', maxLength: 120 },
            device_type: { type: 'string', maxLength: 120 },
            hardware: { type: 'string', maxLength: 120 },
          },
        },
      },
      handler: async (req: RevkaRequest<{ code: string; device_name?: string; device_type?: string; hardware?: string }>) => {
        const b = req.body
        const fromHeaders = deviceMeta(req)
        const r = await pairing().pair(b.code, req.clientKey, {
          name: b.device_name ?? fromHeaders.name,
          deviceType: b.device_type ?? fromHeaders.deviceType,
          hardware: b.hardware ?? fromHeaders.hardware,
        })
        return { token: r.token, persisted: r.persisted, device_id: r.deviceId, message: 'Pairing successful' }
      },
    })

    api.routes.add({
      method: 'GET',
      url: '/api/devices',
      auth: 'bearer',
      handler: () => {
        const devices = pairing().listDevices()
        return { devices, count: devices.length }
      },
    })

    api.routes.add({
      method: 'DELETE',
      url: '/api/devices/:id',
      auth: 'bearer',
      handler: async (req) => {
        if (!(await pairing().revoke(req.params.id))) throw httpError(404, 'device_not_found', 'Device not found')
        api.audit.record(
          { event_type: 'security_event', action: { command: `device.revoke ${req.params.id}`, risk_level: 'high' }, result: { success: true } },
          req,
        )
        return { message: 'Device revoked', device_id: req.params.id }
      },
    })

    api.routes.add({
      method: 'POST',
      url: '/api/devices/:id/token/rotate',
      auth: 'bearer',
      description: 'the old token dies at once; the answer is a code the device pairs again with (same device id)',
      handler: async (req) => {
        const r = await pairing().rotate(req.params.id)
        if (!r) throw httpError(404, 'device_not_found', 'Device not found')
        api.audit.record(
          { event_type: 'security_event', action: { command: `device.rotate ${r.deviceId}`, risk_level: 'high' }, result: { success: true } },
          req,
        )
        return {
          device_id: r.deviceId,
          pairing_code: r.code,
          expires_at: r.expiresAt,
          message: 'Token revoked. Pair the device again with this code (POST /api/pair) to get its new token.',
        }
      },
    })

    api.routes.add({
      method: 'POST',
      url: '/api/pairing/initiate',
      auth: 'bearer',
      description: 'a code to pair another device: the live one while it lasts (someone may be typing it), rate limited',
      handler: async (req) => {
        const caller = req.auth.credentialId ?? req.auth.deviceId ?? req.clientKey
        const c = await pairing().initiate(caller)
        if (!c) throw httpError(503, 'pairing_disabled', 'Pairing is disabled on this gateway')
        return { pairing_code: c.code, expires_at: c.expiresAt, message: 'Enter this code on the new device' }
      },
    })

    api.routes.add({
      method: 'GET',
      url: '/admin/paircode',
      auth: 'loopback',
      handler: () => {
        const s = pairing().status()
        return {
          success: true,
          pairing_required: s.requirePairing,
          pairing_code: s.code,
          expires_at: s.codeExpiresAt,
          message: s.code ? 'Current pairing code' : s.requirePairing ? 'No active code; POST /admin/paircode/new mints one' : 'Pairing is disabled',
        }
      },
    })

    api.routes.add({
      method: 'POST',
      url: '/admin/paircode/new',
      auth: 'loopback',
      handler: async () => {
        const code = await pairing().newCode()
        if (!code) {
          return reply({
            status: 400,
            body: {
              success: false,
              pairing_required: false,
              pairing_code: null,
              message: 'Pairing is disabled',
              error: 'Pairing is disabled',
              code: 'pairing_disabled',
            },
          })
        }
        return { success: true, pairing_required: true, pairing_code: code, expires_at: pairing().status().codeExpiresAt, message: 'New pairing code' }
      },
    })

    api.routes.add({
      method: 'GET',
      url: '/pair/code',
      auth: 'loopback',
      handler: () => {
        const s = pairing().status()
        return { success: true, pairing_required: s.requirePairing, pairing_code: s.requirePairing && !s.paired ? s.code : null }
      },
    })
  },
})
