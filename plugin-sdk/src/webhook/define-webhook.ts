/**
 * defineWebhook: one declaration gives a webhook provider plugin its routes, fail-closed secret
 * handling, raw-body signature verification (run by the kernel before the handler), a timestamp
 * window, idempotency, a per-client rate limit, and a durable queue: a delivery is written to disk
 * before the 200, the agent turn runs off the request path, and the reply goes out through the
 * provider's API — after a crash, unfinished deliveries are replayed at start.
 */
import { randomUUID } from 'node:crypto'
import type { PluginApi } from '../define.js'
import { httpError } from '../errors.js'
import { sha256Hex } from '../crypto.js'
import type { Disposer, ProviderAuthRequest, RevkaRequest, SecretSource } from '../types.js'
import { DeliveryJournal } from './journal.js'
import { DeliveryWorker } from './worker.js'
import { ConversationHistory, DEFAULT_HISTORY_MESSAGES } from './history.js'
import { defineChannel } from '../channels.js'

/** A provider's message, normalised. */
export interface ChannelMessage {
  channel: string
  sender: string
  text: string
  thread?: string
  messageId?: string
  /** whatever the provider needs to address the reply (conversation id, phone number id…) */
  replyTo?: Record<string, unknown>
}

export interface SendContext {
  /** the plugin's validated options (API base URL, tokens…) */
  options: Record<string, unknown>
  /** aborted at shutdown and after `SEND_TIMEOUT_MS` (30 s): pass it to `postJson`/`fetch` */
  signal: AbortSignal
  /** an environment variable as the kernel sees it (tokens for the provider API) */
  env(name: string): string | undefined
}

export interface WebhookProvider<P = unknown> {
  channel: string
  /** POST route, e.g. `/whatsapp` */
  path: string
  /** signing secret: env first, then the plugin option; missing → 503 webhook_not_configured */
  secret: SecretSource
  /** constant-time verification over the raw body bytes (use hmacSha256Hex + timingSafeEqualStr) */
  verify(req: ProviderAuthRequest, secret: string): boolean
  /** unix seconds the request claims; requests outside ±`timestampWindowSecs` are refused (401) */
  timestamp?(req: ProviderAuthRequest): number | undefined
  timestampWindowSecs?: number
  bodyLimit?: number
  /** per client per minute (default 60; 0 disables) */
  rateLimitPerMinute?: number
  /** raw body → payload (default: JSON); a throw answers 400 invalid_payload */
  parse?(raw: Buffer): P
  /** payload → messages for the agent; [] for events that need no turn (still acknowledged) */
  normalise(payload: P, req: RevkaRequest<unknown>): ChannelMessage[]
  /** default: `X-Idempotency-Key`, else the first message's id */
  idempotencyKey?(payload: P, req: RevkaRequest<unknown>): string | undefined
  /**
   * Send the agent's reply through the provider's API; throw to have it retried with backoff (the
   * reply is journalled, so a retry never runs the agent again). Use `postJson`.
   */
  send(message: ChannelMessage, text: string, ctx: SendContext): Promise<void>
  /**
   * GET verification handshake (e.g. WhatsApp's `hub.verify_token` + `hub.challenge`): `verify`
   * runs in the kernel with the configured secret (missing → 503, refused → 403 `forbidden`);
   * `challenge` is what to echo.
   */
  handshake?: {
    secret: SecretSource
    verify(query: Record<string, string | undefined>, secret: string): boolean
    challenge(query: Record<string, string | undefined>): string | undefined
  }
  /** delivery attempts before giving up (default 5) */
  maxAttempts?: number
  /** how `GET /api/channels` names it (default: the channel id) */
  displayName?: string
  /**
   * A message to `send` a notification to `to` (a cron job's `delivery.to`), for providers whose
   * `send` addresses replies through `replyTo`; default `{ channel, sender: to, text: '' }`.
   */
  address?(to: string): ChannelMessage
  /**
   * how many earlier messages of a conversation (same channel, thread and sender) each turn sees
   * (default 20; 0 makes every delivery a conversation of its own)
   */
  historyMessages?: number
}

export const IDEMPOTENCY_WINDOW_MS = 5 * 60_000

function header(req: { headers: Record<string, unknown> }, name: string): string | undefined {
  const v = req.headers[name]
  return typeof v === 'string' ? v : Array.isArray(v) ? String(v[0]) : undefined
}

export function defineWebhook<P>(api: PluginApi<any>, p: WebhookProvider<P>): Disposer {
  const windowSecs = p.timestampWindowSecs ?? 300
  let journal: DeliveryJournal<ChannelMessage> | undefined
  let worker: DeliveryWorker | undefined
  const disposers: Disposer[] = []

  const verify = (req: ProviderAuthRequest, secret: string): boolean => {
    if (p.timestamp) {
      const ts = p.timestamp(req)
      if (ts === undefined || !Number.isFinite(ts) || Math.abs(Date.now() / 1000 - ts) > windowSecs) return false
    }
    return p.verify(req, secret) === true
  }

  disposers.push(api.routes.add({
    method: 'POST', url: p.path, auth: { provider: verify }, secret: p.secret, rawBody: true,
    bodyLimit: p.bodyLimit, rateLimit: { perMinute: p.rateLimitPerMinute ?? 60 },
    description: `${p.channel} webhook (verified, queued durably)`,
    handler: (req) => {
      let payload: P
      try {
        payload = p.parse ? p.parse(req.rawBody ?? Buffer.alloc(0)) : JSON.parse((req.rawBody ?? Buffer.alloc(0)).toString('utf8'))
      } catch (e) {
        throw httpError(400, 'invalid_payload', `Invalid ${p.channel} payload: ${(e as Error).message}`)
      }
      let messages: ChannelMessage[]
      try {
        messages = p.normalise(payload, req)
      } catch (e) {
        throw httpError(400, 'invalid_payload', `Invalid ${p.channel} payload: ${(e as Error).message}`)
      }
      // `||`, not `??`: an empty header must not hide the provider's message id
      const key = header(req, 'x-idempotency-key')?.trim() || p.idempotencyKey?.(payload, req) || messages[0]?.messageId
      const j = journal
      if (!j) throw httpError(503, 'plugin_unavailable', `${p.channel} webhook is starting`, { retryAfter: 5 })
      // keys are kept for the window and written to the journal: bound what a sender can make us store
      const scopedKey = key ? `${p.channel}:${key.length > 128 ? sha256Hex(key) : key}` : undefined
      if (scopedKey && j.seen(scopedKey)) {
        return { status: 'duplicate', idempotent: true, message: 'Delivery already received; not processed again' }
      }
      const now = Date.now()
      messages.forEach((m, i) => j.enqueue({ id: randomUUID(), key: i === 0 ? scopedKey : undefined, at: now, attempts: 0, message: m }))
      if (!messages.length && scopedKey) j.enqueue({ id: randomUUID(), key: scopedKey, at: now, attempts: 0, message: null as any })
      worker?.kick()
      return { status: 'ok', queued: messages.length }
    },
  }))

  if (p.handshake) {
    const hs = p.handshake
    disposers.push(api.routes.add({
      method: 'GET', url: p.path, secret: hs.secret,
      // a wrong verify token is 403 Forbidden (contract §5), not a bad signature
      auth: { provider: (req, secret) => hs.verify(req.query, secret) === true, refusal: { status: 403, code: 'forbidden', message: 'Forbidden' } },
      handler: (req) => {
        const challenge = hs.challenge(req.query)
        if (!challenge) throw httpError(400, 'missing_challenge', 'Missing hub.challenge')
        return String(challenge)
      },
    }))
  }

  disposers.push(api.onStart(() => {
    journal = new DeliveryJournal<ChannelMessage>(`${api.store.dir}/webhook-${p.channel}`, IDEMPOTENCY_WINDOW_MS)
    const history = new ConversationHistory(`${api.store.dir}/webhook-${p.channel}/conversations`, p.historyMessages ?? DEFAULT_HISTORY_MESSAGES)
    worker = new DeliveryWorker(api, p as WebhookProvider<any>, journal, history)
    if (journal.size) api.log.info({ channel: p.channel, pending: journal.size }, 'replaying webhook deliveries not finished before the last stop')
    worker.kick()
  }))
  disposers.push(api.onStop(async () => {
    await worker?.stop()
    journal?.close()
  }))
  // the channel seam: GET /api/channels and cron's delivery reach this provider through it
  const configured = (src: SecretSource) => Boolean((src.env && api.gateway.env(src.env)?.trim()) || (src.config && String((api.config as Record<string, unknown>)[src.config] ?? '').trim()))
  disposers.push(defineChannel(api, {
    id: p.channel,
    display_name: p.displayName ?? p.channel,
    status: () => {
      const st = journal?.stats()
      return {
        configured: configured(p.secret),
        receiving: journal !== undefined && configured(p.secret),
        message_count: st?.received ?? 0,
        last_message_at: st?.lastAt ? new Date(st.lastAt).toISOString() : null,
      }
    },
    send: async (to, text, signal) => {
      const m = p.address ? p.address(to) : { channel: p.channel, sender: to, text: '' }
      await p.send(m, text, { options: api.config as Record<string, unknown>, signal, env: (name: string) => api.gateway.env(name) })
    },
  }))
  disposers.push(api.hooks.health.tap((sink) => {
    if (journal) sink.report(`webhook:${p.channel}`, 'ok', `${journal.size} pending`)
  }))
  return () => { for (const d of disposers) d() }
}
