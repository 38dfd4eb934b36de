/**
 * chat — `/ws/chat` turns against the `agent-runtime` service, persisted sessions and their REST
 * routes, and attachment uploads. The runtime is reached only through its SDK interface, so any
 * plugin that provides `agent-runtime` can stand behind the chat. Sessions live in the node's
 * SQLite file, or, in cluster mode (the kernel's `shared-sql` service is there), on the cluster's
 * PostgreSQL, so every node sees the same sessions.
 */
import { AgentRuntimeRef, ConnectionCap, DEFAULT_SOCKETS_PER_CREDENTIAL, definePlugin, httpError, KernelServices, type AnyEvent } from '@revka/plugin-sdk'
import { addAttachmentDeleteRoute } from './attachments/delete.js'
import { AttachmentFiles, UPLOAD_BODY_LIMIT } from './attachments/files.js'
import { AttachmentQuota } from './attachments/quota.js'
import { SharedAttachments } from './attachments/shared.js'
import { closing, uploadHandler } from './attachments/upload.js'
import { chatLimits, type ChatOptions } from './limits.js'
import { SessionAdmission } from './session-admission.js'
import { PgSessionStore } from './pg-session-store.js'
import type { SessionStore } from './session-store.js'
import { addSessionRoutes } from './sessions-routes.js'
import { SqliteSessionStore } from './sqlite-session-store.js'
import { TurnManager } from './turns.js'
import { admitChat, chatSocketHandler } from './ws-chat.js'

/** how long stop waits for running turns to unwind before closing the database anyway */
const SHUTDOWN_GRACE_MS = 3000

export default definePlugin<ChatOptions>({
  setup(api) {
    // the plugin's private folder, never the served workspace (signed URLs reach only that)
    const files = new AttachmentFiles(api.store.dir)
    let db: SessionStore | null = null
    const store = (): SessionStore => {
      if (!db || !db.open) throw new Error('the session store is not open')
      return db
    }
    // budgets and quotas (issue 10 items 3 and 6), from the options with documented defaults
    const limits = chatLimits(api.config)
    const quota = new AttachmentQuota({
      root: files.root,
      limitBytes: limits.attachmentsQuotaBytes,
      perCredentialBytes: limits.attachmentsQuotaBytesPerCredential,
      ownerOf: async (sid) => (await store().get(sid))?.owner ?? null,
    })
    const admission = new SessionAdmission(store, limits)
    const turns = new TurnManager(
      () => ({
        store: store(),
        runtime: api.services.get(AgentRuntimeRef),
        files,
        historyLimit: limits.historyLimit,
        contextBudgetBytes: limits.contextBudgetBytes,
        turnTimeoutSecs: api.config.turn_timeout_secs,
      }),
      api.log,
    )

    // one bus subscription for the plugin, fanned out to the sockets that relay
    const relays = new Set<(e: AnyEvent) => void>()
    api.events.subscribe((e) => {
      if (e.type !== 'channel_event') return
      for (const fn of relays) fn(e)
    })

    // one token may hold max_sockets_per_credential sockets here (not in ChatOptions yet); more are refused with 429
    const socketCap = new ConnectionCap({
      what: '/ws/chat sockets',
      perCredential: (api.config as { max_sockets_per_credential?: number }).max_sockets_per_credential ?? DEFAULT_SOCKETS_PER_CREDENTIAL,
    })
    api.routes.add({
      method: 'GET',
      url: '/ws/chat',
      auth: 'bearer',
      websocket: true,
      subprotocol: 'revka.v1',
      description: 'agent chat (contract §3.1)',
      // session creation (rate, cap) first: a refusal there must not hold a socket slot
      admit: async (req) => {
        await admitChat(store, admission, req)
        socketCap.admit(req)
      },
      handler: socketCap.guard(
        chatSocketHandler({
          store,
          turns,
          relay: (fn) => {
            relays.add(fn)
            return () => {
              relays.delete(fn)
            }
          },
          firstFrameWaitMs: api.config.first_frame_wait_ms ?? 5000,
          maxMessageBytes: limits.maxMessageBytes,
          admission,
          log: api.log,
        }),
      ),
    })

    addSessionRoutes(api, store, turns, { files, quota, historyPageBytes: limits.historyPageBytes })
    addAttachmentDeleteRoute(api, store, files, quota)

    api.routes.add({
      method: 'POST',
      url: '/api/sessions/:id/attachments',
      auth: 'bearer',
      stream: true,
      bodyLimit: UPLOAD_BODY_LIMIT,
      timeoutMs: 120_000,
      description: 'multipart field "file" (≤ 25 MiB) for an existing session of the caller, streamed to the plugin’s attachments/<sid>/ within the quotas',
      handler: uploadHandler({ files, store, quota }),
    })

    // a session id with a separator (`a/b`) or a dot segment the router did not decode into `:id`
    // lands here instead of on the 404 handler, so every malformed upload target gets the same 400
    api.routes.add({
      method: 'POST',
      url: '/api/sessions/*',
      auth: 'bearer',
      stream: true,
      bodyLimit: UPLOAD_BODY_LIMIT,
      timeoutMs: 120_000,
      description: 'refuses uploads to malformed session paths',
      handler: (req) => {
        const rest = String(req.params['*'] ?? '')
        if (/\/attachments\/?$/.test(rest))
          throw closing(httpError(400, 'invalid_session_id', 'Invalid session id: use 1–128 characters of A–Z, a–z, 0–9, "_" or "-"'))
        throw closing(httpError(404, 'not_found', `No route for POST ${req.url.split('?')[0]}`))
      },
    })

    api.onStart(async () => {
      // a single node never loads pg: the service exists only in cluster mode
      const sharedSql = api.services.find(KernelServices.sharedSql)
      db = sharedSql
        ? await PgSessionStore.open(sharedSql, limits.maxSessionsPerCredential, limits.sessionsPerMinute)
        : await SqliteSessionStore.open(api.store.dir)
      if (sharedSql) {
        const shared = await SharedAttachments.open(sharedSql, {
          limitBytes: limits.attachmentsQuotaBytes,
          perCredentialBytes: limits.attachmentsQuotaBytesPerCredential,
        })
        files.shared = shared
        quota.cluster = shared
      }
    })

    api.onStop(async () => {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        turns.shutdown(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, SHUTDOWN_GRACE_MS)
        }),
      ])
      clearTimeout(timer)
      relays.clear()
      db?.close()
      db = null
    })
  },
})
