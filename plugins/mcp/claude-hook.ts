/**
 * `POST /hooks/claude-code` (contract GATEWAY.md §1.1): a coding CLI's hook event
 * `{session_id, event_type, tool_name?, summary?}`, put on the event bus for dashboards and
 * answered `{ok:true}`. Unlike the reference (public), it takes loopback callers — hooks run as
 * local commands — or the MCP session credentials the terminal hands the CLI (`Authorization:
 * Bearer <mcp token>` with `X-Revka-Session: <session id>`), checked by the kernel through
 * `bearerCredential` (a paired device's token is accepted too: it is the stronger credential). Only the four known fields are kept, as bounded strings; nothing in the
 * event is ever executed or interpreted — it is data for whoever watches the bus.
 */
import { httpError, type PluginApi, type RevkaRequest } from '@revka/plugin-sdk'
import type { SessionStore } from './upstream/sessions.js'

export const HOOK_BODY_LIMIT = 16 * 1024
export const HOOK_PER_MINUTE = 120
const FIELDS = { session_id: 128, event_type: 64, tool_name: 128, summary: 2000 } as const

function field(body: Record<string, unknown>, key: keyof typeof FIELDS, required: boolean): string | undefined {
  const v = body[key]
  if (v === undefined || v === null) {
    if (required) throw httpError(400, 'invalid_hook_event', `${key} is required`)
    return undefined
  }
  if (typeof v !== 'string' || (required && !v.trim())) throw httpError(400, 'invalid_hook_event', `${key} must be a${required ? ' non-empty' : ''} string`)
  if (v.length > FIELDS[key]) throw httpError(400, 'invalid_hook_event', `${key} is longer than ${FIELDS[key]} characters`)
  return v
}

export function addClaudeHookRoute(api: PluginApi<any>, sessions: () => SessionStore | undefined): void {
  api.routes.add({
    method: 'POST',
    url: '/hooks/claude-code',
    auth: ['loopback', 'bearer'],
    bodyLimit: HOOK_BODY_LIMIT,
    rateLimit: { perMinute: HOOK_PER_MINUTE },
    bearerCredential: (token, headers) => {
      const id = headers['x-revka-session']
      const s = typeof id === 'string' ? sessions()?.verify(id, token) : undefined
      return s ? `mcp-session:${s.id.slice(0, 16)}` : null
    },
    description: 'a coding CLI hook event onto the event bus (loopback or MCP session credentials)',
    handler: (req: RevkaRequest<unknown>) => {
      const b = req.body
      if (!b || typeof b !== 'object' || Array.isArray(b))
        throw httpError(400, 'invalid_hook_event', 'Send a JSON object {session_id, event_type, tool_name?, summary?}')
      const body = b as Record<string, unknown>
      const event: Record<string, unknown> = {
        session_id: field(body, 'session_id', true),
        event_type: field(body, 'event_type', true),
      }
      const tool = field(body, 'tool_name', false)
      const summary = field(body, 'summary', false)
      if (tool !== undefined) event.tool_name = tool
      if (summary !== undefined) event.summary = summary
      event.via = req.auth.via === 'loopback' ? 'loopback' : req.auth.credentialId?.startsWith('route-credential:') ? 'mcp-session' : 'device'
      api.events.emit('claude_code_hook', event)
      return { ok: true }
    },
  })
}
