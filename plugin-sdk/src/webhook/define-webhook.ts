/**
 * defineWebhook: one declaration gives a webhook provider plugin its routes, fail-closed secret
 * handling, raw-body signature verification (run by the kernel before the handler), a timestamp
 * window, idempotency, a per-client rate limit, and a durable queue: a delivery is written to disk
 * before the 200, the agent turn runs off the request path, and the reply goes out through the
 * provider's API — after a crash, unfinished deliveries are replayed at start.
 */
import { randomUUID } from 'node:crypto'
import type { PluginApi } from '../define.js'
import { httpError, isHttpError, RevkaError } from '../errors.js'
import { sha256Hex } from '../crypto.js'
import { resolveSecret } from '../secret.js'
import type { Disposer, RevkaRequest, SecretSource } from '../types.js'
import { DeliveryJournal } from './journal.js'
import { DeliveryWorker } from './worker.js'
import { ClusterDeliveryWorker } from './cluster-worker.js'
import { KernelServices } from '../services.js'
import type { WebhookQueueService } from '../kernel-services.js'
import type { SharedSqlService } from '../shared-sql.js'
import { SharedChannelState } from './shared-channel.js'
import { ConversationHistory, DEFAULT_HISTORY_MESSAGES } from './history.js'
import { DEFAULT_TIMESTAMP_WINDOW_SECS, IDEMPOTENCY_WINDOW_MS, MAX_IDEMPOTENCY_WINDOW_SECS, type ChannelMessage, type WebhookProvider } from './provider.js'
import { defineChannel } from '../define-channel.js'

export type { ChannelMessage, SendContext, WebhookProvider } from './provider.js'
export { IDEMPOTENCY_WINDOW_MS } from './provider.js'

function header(req: { headers: Record<string, unknown> }, name: string): string | undefined {
  const v = req.headers[name]
  return typeof v === 'string' ? v : Array.isArray(v) ? String(v[0]) : undefined
}

function windowMs(p: WebhookProvider<any>): number {
  const secs = p.idempotencyWindowSecs
  if (secs === undefined) return IDEMPOTENCY_WINDOW_MS
  if (!Number.isInteger(secs) || secs < 1 || secs > MAX_IDEMPOTENCY_WINDOW_SECS) {
    throw new RevkaError('REVKA_ERR_WEBHOOK_WINDOW', `${p.channel}: idempotencyWindowSecs must be an integer in 1..${MAX_IDEMPOTENCY_WINDOW_SECS}, got ${secs}`)
  }
  return secs * 1000
}

/** a provider callback's throw is the sender's fault (400), unless it chose its own answer */
function asPayloadError<T>(channel: string, fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    if (isHttpError(e)) throw e
    throw httpError(400, 'invalid_payload', `Invalid ${channel} payload: ${(e as Error).message}`)
  }
}

/**
 * The de-duplication key: the provider's own (signed) key first; the unsigned header only for
 * providers that opt in and only when they have none; else, for a delivery that would start a
 * turn, a digest of the raw body — so a replayed capture can never buy a second turn by changing
 * a header.
 */
function deliveryKey<P>(p: WebhookProvider<P>, payload: P, req: RevkaRequest<unknown>, messages: ChannelMessage[], raw: Buffer): string | undefined {
  // `||`, not `??`: an empty key must not hide the next source
  const own = p.idempotencyKey?.(payload, req) || messages[0]?.messageId
  if (own) return own
  const unsigned = p.acceptIdempotencyHeader ? header(req, 'x-idempotency-key')?.trim() : undefined
  if (unsigned) return unsigned
  return messages.length ? `body:${sha256Hex(raw)}` : undefined
}

const scoped = (channel: string, key: string | undefined) => (key ? `${channel}:${key.length > 128 ? sha256Hex(key) : key}` : undefined)

/**
 * The kernel's shared queue in cluster mode, for a provider whose plugin lists `webhook-queue`
 * under `uses`; undefined on a single node, and for a plugin that does not list it (it keeps its
 * journal on this node's disk).
 */
function sharedQueue(api: PluginApi<any>): WebhookQueueService | undefined {
  try {
    return api.services.find(KernelServices.webhookQueue)
  } catch {
    return undefined
  }
}

/**
 * The cluster's PostgreSQL for the channel's history and counts, for a plugin that also lists
 * `shared-sql` under `uses`; without it they stay on this node (per-node history and count).
 */
function sharedSql(api: PluginApi<any>): SharedSqlService | undefined {
  try {
    return api.services.find(KernelServices.sharedSql)
  } catch {
    return undefined
  }
}

/**
 * Declare a webhook provider (see `WebhookProvider` for every option and the order of checks):
 * registers its POST route (and the GET handshake), its delivery journal and worker, and its
 * channel entry. Call in `setup`; the disposer removes all of it.
 */
export function defineWebhook<P>(api: PluginApi<any>, p: WebhookProvider<P>): Disposer {
  const timestampWindowSecs = p.timestampWindowSecs ?? DEFAULT_TIMESTAMP_WINDOW_SECS
  const dedupeMs = windowMs(p)
  let journal: DeliveryJournal<ChannelMessage> | undefined
  let worker: DeliveryWorker | undefined
  /**
   * cluster mode: the shared queue, its worker, the shared history and counts (`state`, with
   * `shared-sql`), else what this node received (channel status)
   */
  let shared: { queue: WebhookQueueService; worker: ClusterDeliveryWorker; state?: SharedChannelState; received: number; lastAt: number | null } | undefined
  const disposers: Disposer[] = []

  disposers.push(
    api.routes.add({
      method: 'POST',
      url: p.path,
      secret: p.secret,
      rawBody: true,
      // the signature only: the timestamp is checked in the handler, so its refusal can say so
      auth: { provider: (req, secret) => p.verify(req, secret) === true },
      bodyLimit: p.bodyLimit,
      rateLimit: { perMinute: p.rateLimitPerMinute ?? 60 },
      description: `${p.channel} webhook (verified, queued durably)`,
      handler: (req) => {
        const now = api.gateway.now()
        const raw = req.rawBody ?? Buffer.alloc(0)
        // the key must outlive the signature: a delivery signed ahead of our clock stays acceptable
        // until its timestamp + the window, and so stays a duplicate until then
        let keyAt = now
        if (p.timestamp) {
          let ts: number | undefined
          try {
            ts = p.timestamp({ headers: req.headers, query: req.query, rawBody: raw, method: req.method, url: req.url })
          } catch {
            ts = undefined
          }
          // same 401 as a bad signature: a sender learns nothing from the status, an operator does from the code
          if (ts === undefined || !Number.isFinite(ts) || Math.abs(now / 1000 - ts) > timestampWindowSecs) {
            throw httpError(401, 'stale_timestamp', `Request timestamp is missing or more than ${timestampWindowSecs} s from the gateway's clock`)
          }
          keyAt = Math.max(now, Math.ceil((ts + timestampWindowSecs) * 1000) - dedupeMs)
        }
        const payload = asPayloadError(p.channel, () => (p.parse ? p.parse(raw) : JSON.parse(raw.toString('utf8'))) as P)
        if (p.challenge) {
          const answer = asPayloadError(p.channel, () => p.challenge!(payload, req))
          if (answer !== undefined) return answer
        }
        const messages = asPayloadError(p.channel, () => p.normalise(payload, req))
        const key = deliveryKey(p, payload, req, messages, raw)
        if (shared) return enqueueShared(shared, scoped(p.channel, key), keyAt, now, messages)
        const j = journal
        if (!j) throw httpError(503, 'plugin_unavailable', `${p.channel} webhook is starting`, { retryAfter: 5 })
        // keys are kept for the window and written to the journal: bound what a sender can make us store
        const scopedKey = scoped(p.channel, key)
        if (scopedKey && j.seen(scopedKey, now)) {
          return { status: 'duplicate', idempotent: true, message: 'Delivery already received; not processed again' }
        }
        const keyed = { key: scopedKey, ...(keyAt > now ? { keyAt } : {}) }
        messages.forEach((m, i) => j.enqueue({ id: randomUUID(), ...(i === 0 ? keyed : {}), at: now, attempts: 0, message: m }))
        if (!messages.length && scopedKey) j.enqueue({ id: randomUUID(), ...keyed, at: now, attempts: 0, message: null as any })
        worker?.kick()
        return { status: 'ok', queued: messages.length }
      },
    }),
  )

  if (p.handshake) {
    const hs = p.handshake
    disposers.push(
      api.routes.add({
        method: 'GET',
        url: p.path,
        secret: hs.secret,
        // a wrong verify token is 403 Forbidden (contract §5), not a bad signature
        auth: { provider: (req, secret) => hs.verify(req.query, secret) === true, refusal: { status: 403, code: 'forbidden', message: 'Forbidden' } },
        handler: (req) => {
          const challenge = hs.challenge(req.query)
          if (!challenge) throw httpError(400, 'missing_challenge', 'Missing hub.challenge')
          return String(challenge)
        },
      }),
    )
  }

  /** cluster mode: one transaction stores the key and the messages, on whichever node acknowledged them */
  async function enqueueShared(s: NonNullable<typeof shared>, scopedKey: string | undefined, keyAt: number, now: number, messages: ChannelMessage[]) {
    const deliveries = messages.map((m) => ({ id: randomUUID(), at: now, message: m }))
    const fresh = await s.queue.enqueue(p.channel, scopedKey ? { key: scopedKey, until: keyAt + dedupeMs, now } : undefined, deliveries)
    if (!fresh) return { status: 'duplicate', idempotent: true, message: 'Delivery already received; not processed again' }
    s.worker.kick()
    if (messages.length) {
      s.received += messages.length
      s.lastAt = now
      // the delivery is stored and acknowledged whatever happens here: a lost count is logged, never a lost message
      await s.state?.counted(messages.length, now).catch((e) => api.log.warn({ channel: p.channel, err: (e as Error).message }, 'channel count not recorded'))
    }
    return { status: 'ok', queued: messages.length }
  }

  disposers.push(
    api.onStart(() => {
      const queue = sharedQueue(api)
      if (queue) {
        const sql = sharedSql(api)
        const max = p.historyMessages ?? DEFAULT_HISTORY_MESSAGES
        const state = sql ? new SharedChannelState(sql, api.id, p.channel, max) : undefined
        const history = state ?? new ConversationHistory(`${api.store.dir}/webhook-${p.channel}/conversations`, max)
        shared = { queue, worker: new ClusterDeliveryWorker(api, p as WebhookProvider<any>, queue, history), state, received: 0, lastAt: null }
        shared.worker.kick()
        return
      }
      journal = new DeliveryJournal<ChannelMessage>(`${api.store.dir}/webhook-${p.channel}`, dedupeMs, undefined, api.gateway.now())
      const history = new ConversationHistory(`${api.store.dir}/webhook-${p.channel}/conversations`, p.historyMessages ?? DEFAULT_HISTORY_MESSAGES)
      worker = new DeliveryWorker(api, p as WebhookProvider<any>, journal, history)
      if (journal.size) api.log.info({ channel: p.channel, pending: journal.size }, 'replaying webhook deliveries not finished before the last stop')
      worker.kick()
    }),
  )
  disposers.push(
    api.onStop(async () => {
      await worker?.stop()
      await shared?.worker.stop()
      shared = undefined
      journal?.close()
    }),
  )
  // the channel seam: GET /api/channels and cron's delivery reach this provider through it
  const configured = (src: SecretSource) => resolveSecret(src, api.config as object, (name) => api.gateway.env(name)) !== undefined
  disposers.push(
    defineChannel(api, {
      id: p.channel,
      display_name: p.displayName ?? p.channel,
      status: () => {
        const st = shared ? (shared.state?.lastKnown ?? { received: shared.received, lastAt: shared.lastAt }) : journal?.stats()
        return {
          configured: configured(p.secret),
          receiving: (journal !== undefined || shared !== undefined) && configured(p.secret),
          message_count: st?.received ?? 0,
          last_message_at: st?.lastAt ? new Date(st.lastAt).toISOString() : null,
        }
      },
      counts: async () => {
        const st = shared?.state ? await shared.state.stats() : shared ? { received: shared.received, lastAt: shared.lastAt } : journal?.stats()
        return { message_count: st?.received ?? 0, last_message_at: st?.lastAt ? new Date(st.lastAt).toISOString() : null }
      },
      send: async (to, text, signal) => {
        const m = p.address ? p.address(to) : { channel: p.channel, sender: to, text: '' }
        await p.send(m, text, { options: api.config as Record<string, unknown>, signal, env: (name: string) => api.gateway.env(name) })
      },
    }),
  )
  disposers.push(
    api.hooks.health.tap((sink) => {
      if (journal) sink.report(`webhook:${p.channel}`, 'ok', `${journal.size} pending`)
      else if (shared) sink.report(`webhook:${p.channel}`, 'ok', 'shared cluster queue')
    }),
  )
  return () => {
    for (const d of disposers) d()
  }
}
