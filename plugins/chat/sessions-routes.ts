/**
 * The sessions REST face (contract §1.6): list, running turns, history, rename, archive, state.
 * Every `:id` is validated before it reaches the store; all routes are bearer-only. The list and
 * the history are paged (`?limit`, `?before` → `next_before`) so no answer grows with the store;
 * archiving is for the session's owner and removes its attachments.
 */
import { httpError, type PluginApi, type RevkaRequest } from '@revka/plugin-sdk'
import { removeSessionFiles } from './attachments/delete.js'
import type { AttachmentFiles } from './attachments/files.js'
import type { AttachmentQuota } from './attachments/quota.js'
import { historyAnswer, pageLimit } from './history-page.js'
import { sessionIdParam } from './ids.js'
import { SESSIONS_PAGE_DEFAULT, SESSIONS_PAGE_MAX } from './limits.js'
import { ownedSession } from './ownership.js'
import type { SessionCursor, SessionStore } from './session-store.js'
import type { TurnManager } from './turns.js'

export interface SessionRoutesDeps {
  files: AttachmentFiles
  quota: AttachmentQuota
  historyPageBytes: number
}

/** a session with activity in the last five minutes is "active" */
export const ACTIVE_WINDOW_MS = 5 * 60 * 1000
const NAME_MAX = 200

/** `next_before` of the sessions list: the last row's (last_activity, id), opaque to clients. */
function encodeCursor(c: SessionCursor): string {
  return Buffer.from(JSON.stringify([c.last_activity, c.id])).toString('base64url')
}

function decodeCursor(raw: string | undefined): SessionCursor | undefined {
  if (raw === undefined || raw === '') return undefined
  try {
    const [last_activity, id] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'))
    if (typeof last_activity === 'string' && typeof id === 'string') return { last_activity, id }
  } catch {}
  throw httpError(400, 'invalid_cursor', 'before must be a next_before value from an earlier page')
}

export function addSessionRoutes(api: PluginApi<any>, store: () => SessionStore, turns: TurnManager, deps: SessionRoutesDeps): void {
  api.routes.add({
    method: 'GET',
    url: '/api/sessions',
    auth: 'bearer',
    description: 'persisted chat sessions, newest activity first, plus the archived ids; paged by ?limit&before',
    handler: async (req) => {
      const limit = pageLimit(req.query.limit, SESSIONS_PAGE_DEFAULT, SESSIONS_PAGE_MAX)
      const { rows, more } = await store().listPage(limit, decodeCursor(req.query.before))
      const now = Date.now()
      const last = rows[rows.length - 1]
      return {
        sessions: rows
          .filter((r) => !r.archived_at)
          .map((r) => ({
            id: r.id,
            channel: r.channel,
            started_at: r.started_at,
            last_activity: r.last_activity,
            status: now - Date.parse(r.last_activity) < ACTIVE_WINDOW_MS ? 'active' : 'idle',
            message_count: r.message_count,
            ...(r.name ? { name: r.name } : {}),
          })),
        archived_session_ids: rows.filter((r) => r.archived_at).map((r) => r.id),
        ...(more && last ? { next_before: encodeCursor(last) } : {}),
      }
    },
  })

  api.routes.add({
    method: 'GET',
    url: '/api/sessions/running',
    auth: 'bearer',
    description: 'sessions with a turn running now (on this node: a turn runs where its socket is)',
    handler: async () => ({
      sessions: await Promise.all(
        turns.running().map(async (id) => {
          const r = await store().get(id)
          return {
            session_id: id,
            created_at: r?.started_at ?? null,
            last_activity: r?.last_activity ?? null,
            message_count: r?.message_count ?? 0,
          }
        }),
      ),
    }),
  })

  api.routes.add({
    method: 'GET',
    url: '/api/sessions/:id/messages',
    auth: 'bearer',
    description: 'the persisted history of a session (empty for one never written), newest page first by ?limit&before',
    handler: (req) => historyAnswer(store(), sessionIdParam(req.params.id), req, deps.historyPageBytes),
  })

  api.routes.add({
    method: 'PUT',
    url: '/api/sessions/:id',
    auth: 'bearer',
    description: 'rename: {name}',
    handler: async (req: RevkaRequest<{ name?: unknown } | undefined>) => {
      const id = sessionIdParam(req.params.id)
      const raw = req.body && typeof req.body === 'object' ? req.body.name : undefined
      const name = typeof raw === 'string' ? raw.trim() : ''
      if (!name) throw httpError(400, 'empty_name', 'Send a non-empty {"name"}')
      if (name.length > NAME_MAX) throw httpError(400, 'name_too_long', `Session names are at most ${NAME_MAX} characters`)
      if (!(await store().rename(id, name))) throw httpError(404, 'session_not_found', 'Session not found')
      return { session_id: id, name }
    },
  })

  api.routes.add({
    method: 'DELETE',
    url: '/api/sessions/:id',
    auth: 'bearer',
    description: 'archive a session (its owner only): its history is kept (a new message revives it), its attachments are deleted',
    handler: async (req) => {
      const id = sessionIdParam(req.params.id)
      const { owner } = await ownedSession(store(), id, req.auth)
      const archivedAt = await store().archive(id)
      if (!archivedAt) throw httpError(404, 'session_not_found', 'Session not found')
      await removeSessionFiles(deps.files, deps.quota, id, owner)
      return { deleted: true, archived: true, archived_at: archivedAt, session_id: id }
    },
  })

  api.routes.add({
    method: 'GET',
    url: '/api/sessions/:id/state',
    auth: 'bearer',
    description: 'whether a turn is running in the session',
    handler: (req) => turns.state(sessionIdParam(req.params.id)),
  })
}
