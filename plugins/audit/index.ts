/**
 * audit — the HTTP face of the kernel's audit log (contract DOMAIN.md §18). The kernel writes the
 * chain; this plugin lists it and checks it. The dashboard's header asks `/api/audit/verify` on
 * every page: the kernel re-reads only files that changed since the last check.
 */
import { AUDIT_EVENT_TYPES, definePlugin, httpError, KernelServices, type AuditEventType, type RevkaRequest } from '@revka/plugin-sdk'

const LIMIT_MAX = 500

export default definePlugin({
  setup(api) {
    const audit = () => api.services.get(KernelServices.audit)

    api.routes.add({
      method: 'GET',
      url: '/api/audit',
      auth: 'bearer',
      description: '{events (newest first), count, audit_enabled}; ?limit (≤500, default 50) &event_type &since (RFC 3339)',
      handler: async (req: RevkaRequest) => {
        const log = audit()
        if (!log.enabled) return { events: [], count: 0, audit_enabled: false }
        const q = req.query
        let limit = 50
        if (q.limit !== undefined) {
          if (!/^\d{1,6}$/.test(q.limit)) throw httpError(400, 'bad_request', 'limit must be a whole number from 0 to 500')
          limit = Math.min(LIMIT_MAX, Number(q.limit))
        }
        let eventType: AuditEventType | undefined
        if (q.event_type !== undefined) {
          if (!(AUDIT_EVENT_TYPES as readonly string[]).includes(q.event_type)) {
            throw httpError(400, 'bad_request', `event_type must be one of ${AUDIT_EVENT_TYPES.join(', ')}`)
          }
          eventType = q.event_type as AuditEventType
        }
        // the contract: an unparseable `since` is ignored, not refused
        const t = q.since !== undefined ? Date.parse(q.since) : NaN
        const { events, truncated } = await log.query({ limit, event_type: eventType, since: Number.isNaN(t) ? undefined : new Date(t) })
        return { events, count: events.length, audit_enabled: true, ...(truncated ? { truncated: true } : {}) }
      },
    })

    api.routes.add({
      method: 'GET',
      url: '/api/audit/verify',
      auth: 'bearer',
      description: 'always 200: {verified:true, entry_count} or {verified:false, error, file, line}',
      handler: () => audit().verify(),
    })
  },
})
