/**
 * chat — `/ws/chat` turns against the `agent-runtime` service, persisted sessions and their REST
 * routes, and attachment uploads. The runtime is reached only through its SDK interface, so any
 * plugin that provides `agent-runtime` can stand behind the chat.
 */
import { AgentRuntimeRef, ConnectionCap, DEFAULT_SOCKETS_PER_CREDENTIAL, definePlugin, httpError, type AnyEvent } from '@revka/plugin-sdk'
import { AttachmentFiles, UPLOAD_BODY_LIMIT } from './attachments/files.js'
import { closing, uploadHandler } from './attachments/upload.js'
import { SessionStore } from './session-store.js'
import { addSessionRoutes } from './sessions-routes.js'
import { TurnManager } from './turns.js'
import { chatSocketHandler } from './ws-chat.js'

interface ChatOptions {
  first_frame_wait_ms?: number
  turn_timeout_secs?: number
  history_limit?: number
}

/** how long stop waits for running turns to unwind before closing the database anyway */
const SHUTDOWN_GRACE_MS = 3000

export default definePlugin<ChatOptions>({
  setup(api) {
    const files = new AttachmentFiles(api.gateway.workspaceDir)
    let db: SessionStore | null = null
    const store = (): SessionStore => {
      if (!db || !db.open) throw new Error('the session store is not open')
      return db
    }
    const turns = new TurnManager(() => ({
      store: store(),
      runtime: api.services.get(AgentRuntimeRef),
      files,
      historyLimit: api.config.history_limit ?? 200,
      turnTimeoutSecs: api.config.turn_timeout_secs,
    }), api.log)

    // one bus subscription for the plugin, fanned out to the sockets that relay
    const relays = new Set<(e: AnyEvent) => void>()
    api.events.subscribe((e) => {
      if (e.type !== 'channel_event') return
      for (const fn of relays) fn(e)
    })

    // one token may hold DEFAULT_SOCKETS_PER_CREDENTIAL sockets here; more are refused with 429
    const socketCap = new ConnectionCap({ what: '/ws/chat sockets', perCredential: DEFAULT_SOCKETS_PER_CREDENTIAL })
    api.routes.add({
      method: 'GET', url: '/ws/chat', auth: 'bearer', websocket: true, subprotocol: 'revka.v1',
      description: 'agent chat (contract §3.1)',
      admit: socketCap.admit,
      handler: socketCap.guard(chatSocketHandler({
        store,
        turns,
        relay: (fn) => { relays.add(fn); return () => { relays.delete(fn) } },
        firstFrameWaitMs: api.config.first_frame_wait_ms ?? 5000,
        log: api.log,
      })),
    })

    addSessionRoutes(api, store, turns)

    api.routes.add({
      method: 'POST', url: '/api/sessions/:id/attachments', auth: 'bearer',
      stream: true, bodyLimit: UPLOAD_BODY_LIMIT, timeoutMs: 120_000,
      description: 'multipart field "file" (≤ 25 MiB), streamed to <workspace>/attachments/<sid>/',
      handler: uploadHandler(files),
    })

    // a session id with a separator (`a/b`) or a dot segment the router did not decode into `:id`
    // lands here instead of on the 404 handler, so every malformed upload target gets the same 400
    api.routes.add({
      method: 'POST', url: '/api/sessions/*', auth: 'bearer',
      stream: true, bodyLimit: UPLOAD_BODY_LIMIT, timeoutMs: 120_000,
      description: 'refuses uploads to malformed session paths',
      handler: (req) => {
        const rest = String(req.params['*'] ?? '')
        if (/\/attachments\/?$/.test(rest)) throw closing(httpError(400, 'invalid_session_id', 'Invalid session id: use 1–128 characters of A–Z, a–z, 0–9, "_" or "-"'))
        throw closing(httpError(404, 'not_found', `No route for POST ${req.url.split('?')[0]}`))
      },
    })

    api.onStart(async () => {
      db = await SessionStore.open(api.gateway.workspaceDir)
    })

    api.onStop(async () => {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        turns.shutdown(),
        new Promise<void>((resolve) => { timer = setTimeout(resolve, SHUTDOWN_GRACE_MS) }),
      ])
      clearTimeout(timer)
      relays.clear()
      db?.close()
      db = null
    })
  },
})
