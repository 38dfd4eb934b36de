/**
 * `POST /api/channel-events` (contract §1.10): a local operator process posts JSON, dashboards
 * receive it on `/api/events` as `channel_event`. Loopback only — the kernel refuses any request
 * whose socket peer is not local or that carries forwarding headers (difference 6), so a same-host
 * reverse proxy cannot turn this into a public broadcast endpoint.
 *
 * Registering pending approvals and relaying to external channels (`channels:[…]`) belong to the
 * workflow and channel plugins; this route only broadcasts, and they listen on the bus.
 */
import { httpError, type EventBus, type RouteAdder } from '@revka/plugin-sdk'

function isJsonRequest(contentType: string | undefined): boolean {
  return /^application\/(?:[a-z0-9.+-]*\+)?json\b/i.test(contentType ?? '')
}

function text(v: unknown): string | null {
  return typeof v === 'string' ? v : null
}

/** run and step ids arrive as strings from most operators, as numbers from some */
function idOf(v: unknown): string | null {
  if (typeof v === 'string' && v.trim()) return v
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return null
}

export function addChannelEventsRoute(routes: RouteAdder, bus: EventBus): void {
  routes.add({
    method: 'POST',
    url: '/api/channel-events',
    auth: 'loopback',
    description: 'loopback: re-broadcast an operator JSON object as channel_event',
    handler: (req) => {
      if (!isJsonRequest(req.headers['content-type'])) {
        throw httpError(415, 'unsupported_media_type', 'channel-events expects Content-Type: application/json')
      }
      const body = req.body
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw httpError(400, 'invalid_body', 'channel-events expects a JSON object')
      }
      const fields = body as Record<string, unknown>
      bus.emit('channel_event', { payload: fields })

      const runId = idOf(fields.run_id)
      const stepId = idOf(fields.step_id)
      if (fields.type === 'human_approval_request' && runId && stepId) {
        bus.emit('human_approval_request', {
          run_id: runId,
          step_id: stepId,
          workflow_name: text(fields.workflow_name) ?? '',
          title: text(fields.title) ?? 'Approval required',
          message: text(fields.message) ?? text(fields.content) ?? '',
        })
      }
      return { ok: true }
    },
  })
}
