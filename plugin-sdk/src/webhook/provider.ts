/**
 * What a webhook provider plugin declares to `defineWebhook`: the types, each option's meaning and
 * default. The behaviour lives in `define-webhook.ts`; this file is the reference.
 */
import type { ProviderAuthRequest, RevkaRequest, SecretSource } from '../types.js'

/** A provider's message, normalised. */
export interface ChannelMessage {
  /** the channel id (`telegram`, `slack`…): names the journal and the session */
  channel: string
  /** who wrote it, as the provider names them (user id, phone number) */
  sender: string
  /** the text the agent answers */
  text: string
  /** a group, room or thread: each sender keeps a session of their own inside it */
  thread?: string
  /** the provider's own id of this message: the default de-duplication key (see `idempotencyKey`) */
  messageId?: string
  /** whatever the provider needs to address the reply (conversation id, phone number id…) */
  replyTo?: Record<string, unknown>
}

/** What `send` gets besides the message and the reply text. */
export interface SendContext {
  /** the plugin's validated options (API base URL, tokens…) */
  options: Record<string, unknown>
  /** aborted at shutdown and after `SEND_TIMEOUT_MS` (30 s): pass it to `postJson`/`fetch` */
  signal: AbortSignal
  /** an environment variable as the kernel sees it (tokens for the provider API) */
  env(name: string): string | undefined
}

/** de-duplication window when a provider sets no `idempotencyWindowSecs` (5 minutes) */
export const IDEMPOTENCY_WINDOW_MS = 5 * 60_000
/** the longest `idempotencyWindowSecs` a provider may ask for (one day): keys are kept that long */
export const MAX_IDEMPOTENCY_WINDOW_SECS = 86_400
/** `timestampWindowSecs` when a provider sets none */
export const DEFAULT_TIMESTAMP_WINDOW_SECS = 300

/**
 * A webhook provider, declared once. Order of checks on each POST, all before any agent work:
 * secret configured (else 503 `webhook_not_configured`) → `verify` on the raw bytes (else 401
 * `invalid_signature`) → `timestamp` inside `timestampWindowSecs` (else 401 `stale_timestamp`) →
 * `parse` (else 400 `invalid_payload`) → `challenge` (answered at once when it returns a value) →
 * `normalise` → de-duplication by `idempotencyKey` within `idempotencyWindowSecs` → journalled, 200.
 */
export interface WebhookProvider<P = unknown> {
  /** the channel id: `GET /api/channels` lists it, a cron job's `delivery.channel` names it */
  channel: string
  /** the POST route, e.g. `/whatsapp` (under the gateway's path prefix) */
  path: string
  /** where the signing secret comes from: env first, then the plugin option; missing → 503 `webhook_not_configured` */
  secret: SecretSource
  /**
   * Is this request signed with `secret`? Runs in the kernel before the handler, over the raw body
   * bytes. Compare in constant time (`hmacSha256Hex` + `timingSafeEqualStr`). A false (or a throw)
   * answers 401 `invalid_signature` and nothing else happens.
   */
  verify(req: ProviderAuthRequest, secret: string): boolean
  /**
   * The unix time (seconds) the request claims to have been sent, for providers that sign one
   * (Slack's `X-Slack-Request-Timestamp`, Linq's `X-Webhook-Timestamp`): checked after `verify`, so
   * only a correctly signed request learns its timestamp was refused. Missing, not a number, or
   * more than `timestampWindowSecs` away from the gateway's clock → 401 `stale_timestamp`.
   * Without this option no timestamp is checked, and only de-duplication stops a replay.
   */
  timestamp?(req: ProviderAuthRequest): number | undefined
  /** how far `timestamp` may be from now, either way, in seconds (default 300) */
  timestampWindowSecs?: number
  /** largest accepted body in bytes (default the kernel's 65 536); larger → 413 before a byte is read */
  bodyLimit?: number
  /** deliveries per client per minute (default 60; 0 disables); over it → 429 */
  rateLimitPerMinute?: number
  /** raw body → payload (default: JSON); a throw answers 400 `invalid_payload` */
  parse?(raw: Buffer): P
  /**
   * An in-band challenge that arrives as a signed POST (Slack's `url_verification`): called with
   * the parsed payload after `verify` and the timestamp check. Return what to answer — a JSON
   * value, a string, or `reply({...})` — and the delivery ends there (no turn, nothing journalled);
   * return undefined for an ordinary delivery.
   */
  challenge?(payload: P, req: RevkaRequest<unknown>): unknown
  /** payload → messages for the agent; [] for events that need no turn (still acknowledged); a throw answers 400 */
  normalise(payload: P, req: RevkaRequest<unknown>): ChannelMessage[]
  /**
   * The provider's own key for this delivery (Slack's `event_id`), taken from the signed payload;
   * default: the first message's `messageId`. A delivery whose key was seen within
   * `idempotencyWindowSecs` is answered `{status: 'duplicate'}` and runs nothing. This key always
   * wins over the unsigned `X-Idempotency-Key` header, which anyone replaying a captured request
   * can change. With no key at all, a delivery that would start a turn is keyed by a digest of its
   * raw body, so a byte-for-byte replay is still caught.
   */
  idempotencyKey?(payload: P, req: RevkaRequest<unknown>): string | undefined
  /**
   * Honour an `X-Idempotency-Key` request header when the provider gives no key of its own
   * (default false). Opt in only for senders that set the header themselves: it is not covered by
   * any signature, so it can only ever add de-duplication, never replace the provider's key.
   */
  acceptIdempotencyHeader?: boolean
  /**
   * How long a seen key makes a redelivery a duplicate, in seconds (default 300; at most 86 400).
   * Set it longer than the provider's slowest retry: Slack retries after 1 and 5 minutes, so a
   * 5-minute window lets its last retry through as a new delivery.
   */
  idempotencyWindowSecs?: number
  /**
   * Send the agent's reply through the provider's API; throw to have it retried with backoff (the
   * reply is journalled, so a retry never runs the agent again). Use `postJson`.
   */
  send(message: ChannelMessage, text: string, ctx: SendContext): Promise<void>
  /**
   * A GET verification handshake (WhatsApp's `hub.verify_token` + `hub.challenge`) on the same
   * path: `verify` runs in the kernel with the configured secret (missing → 503, refused → 403
   * `forbidden`); `challenge` is the text to echo (missing → 400 `missing_challenge`).
   */
  handshake?: {
    /** where the verify token comes from, like `secret` */
    secret: SecretSource
    /** does the query carry the right token? compare in constant time */
    verify(query: Record<string, string | undefined>, secret: string): boolean
    /** the value to echo back */
    challenge(query: Record<string, string | undefined>): string | undefined
  }
  /** delivery attempts (agent turn + send) before giving up (default 5) */
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
