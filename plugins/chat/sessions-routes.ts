/**
 * The sessions REST face (contract §1.6): list, running turns, history, rename, archive, state.
 * Every `:id` is validated before it reaches the store; all routes are bearer-only.
 */
import { httpError, type PluginApi, type RevkaRequest } from '@revka/plugin-sdk'
import { sessionIdParam } from './ids.js'
import type { SessionStore } from './session-store.js'
import type { TurnManager } from './turns.js'

/** a session with activity in the last five minutes is "active" */
export const ACTIVE_WINDOW_MS = 5 * 60 * 1000
const NAME_MAX = 200

export function addSessionRoutes(api: PluginApi<any>, store: () => SessionStore, turns: TurnManager): void {
  api.routes.add({
    method: 'GET', url: '/api/sessions', auth: 'bearer',
    description: 'persisted chat sessions, newest activity first, plus the archived ids',
    handler: () => {
      const now = Date.now()
      const rows = store().list()
      return {
        sessions: rows.filter((r) => !r.archived_at).map((r) => ({
          id: r.id,
          channel: r.channel,
          started_at: r.started_at,
          last_activity: r.last_activity,
          status: now - Date.parse(r.last_activity) < ACTIVE_WINDOW_MS ? 'active' : 'idle',
          message_count: r.message_count,
          ...(r.name ? { name: r.name } : {}),
        })),
        archived_session_ids: rows.filter((r) => r.archived_at).map((r) => r.id),
      }
    },
  })

  api.routes.add({
    method: 'GET', url: '/api/sessions/running', auth: 'bearer',
    description: 'sessions with a turn running now',
    handler: () => ({
      sessions: turns.running().map((id) => {
        const r = store().get(id)
        return {
          session_id: id,
          created_at: r?.started_at ?? null,
          last_activity: r?.last_activity ?? null,
          message_count: r?.message_count ?? 0,
        }
      }),
    }),
  })

  api.routes.add({
    method: 'GET', url: '/api/sessions/:id/messages', auth: 'bearer',
    description: 'the persisted history of a session (empty for one never written)',
    handler: (req) => {
      const id = sessionIdParam(req.params.id)
      return {
        session_id: id,
        messages: store().messages(id).map((m) => ({ role: m.role, content: m.content })),
        session_persistence: true,
      }
    },
  })

  api.routes.add({
    method: 'PUT', url: '/api/sessions/:id', auth: 'bearer',
    description: 'rename: {name}',
    handler: (req: RevkaRequest<{ name?: unknown } | undefined>) => {
      const id = sessionIdParam(req.params.id)
      const raw = req.body && typeof req.body === 'object' ? req.body.name : undefined
      const name = typeof raw === 'string' ? raw.trim() : ''
      if (!name) throw httpError(400, 'empty_name', 'Send a non-empty {"name"}')
      if (name.length > NAME_MAX) throw httpError(400, 'name_too_long', `Session names are at most ${NAME_MAX} characters`)
      if (!store().rename(id, name)) throw httpError(404, 'session_not_found', 'Session not found')
      return { session_id: id, name }
    },
  })

  api.routes.add({
    method: 'DELETE', url: '/api/sessions/:id', auth: 'bearer',
    description: 'archive a session (its history is kept; a new message revives it)',
    handler: (req) => {
      const id = sessionIdParam(req.params.id)
      const archivedAt = store().archive(id)
      if (!archivedAt) throw httpError(404, 'session_not_found', 'Session not found')
      return { deleted: true, archived: true, archived_at: archivedAt, session_id: id }
    },
  })

  api.routes.add({
    method: 'GET', url: '/api/sessions/:id/state', auth: 'bearer',
    description: 'whether a turn is running in the session',
    handler: (req) => turns.state(sessionIdParam(req.params.id)),
  })
}
