/**
 * webhook-slack — a Slack Events API bot, written only against @revka/plugin-sdk. Slack signs
 * `v0:{timestamp}:{raw body}` with the app's signing secret; `defineWebhook` checks the signature
 * in the kernel, then the timestamp window, answers the signed `url_verification` challenge, and
 * de-duplicates Slack's retries by `event_id` — no wrapper around `api.routes`.
 */
import { definePlugin, defineWebhook, hmacSha256Hex, postJson, timingSafeEqualStr, type ChannelMessage } from '@revka/plugin-sdk'

interface Options {
  signing_secret?: string
  bot_token?: string
  api_base_url: string
}
interface SlackEvent {
  type: string
  user?: string
  text?: string
  channel?: string
  ts?: string
  thread_ts?: string
  bot_id?: string
  subtype?: string
}
interface Envelope {
  type: string
  challenge?: string
  event_id?: string
  event?: SlackEvent
}

const header = (h: Record<string, unknown>, name: string) => (typeof h[name] === 'string' ? (h[name] as string) : undefined)

/** An event → at most one message; bots (ourselves included), edits and other events start no turn. */
export function normaliseEvent(body: Envelope): ChannelMessage[] {
  if (body?.type !== 'event_callback' || !body.event) return []
  const e = body.event
  if ((e.type !== 'message' && e.type !== 'app_mention') || e.bot_id || e.subtype || !e.user || !e.text || !e.channel) return []
  // a thread is a conversation of its own; so is each member in a channel
  return [{ channel: 'slack', sender: e.user, text: e.text, thread: e.thread_ts ?? e.channel, replyTo: { channel: e.channel, thread_ts: e.thread_ts ?? e.ts } }]
}

export default definePlugin<Options>({
  setup(api) {
    defineWebhook<Envelope>(api, {
      channel: 'slack',
      path: '/webhook/slack',
      secret: { env: 'REVKA_SLACK_SIGNING_SECRET', config: 'signing_secret' },
      verify: (req, secret) => {
        const ts = header(req.headers, 'x-slack-request-timestamp')
        return (
          ts !== undefined &&
          timingSafeEqualStr(header(req.headers, 'x-slack-signature'), `v0=${hmacSha256Hex(secret, Buffer.concat([Buffer.from(`v0:${ts}:`), req.rawBody]))}`)
        )
      },
      timestamp: (req) => Number(header(req.headers, 'x-slack-request-timestamp')),
      challenge: (body) => (body?.type === 'url_verification' ? { challenge: body.challenge } : undefined),
      idempotencyKey: (body) => body?.event_id,
      // Slack retries after 1 and 5 minutes: keep event ids well past the last retry
      idempotencyWindowSecs: 3600,
      normalise: normaliseEvent,
      address: (to) => ({ channel: 'slack', sender: to, text: '', replyTo: { channel: to } }),
      async send(m, text, ctx) {
        const o = ctx.options as unknown as Options
        if (!o.bot_token) throw new Error('bot_token is not configured (plugins.webhook-slack.options.bot_token)')
        const res = (await postJson(
          `${o.api_base_url.replace(/\/+$/, '')}/chat.postMessage`,
          { channel: m.replyTo?.channel, thread_ts: m.replyTo?.thread_ts, text },
          { headers: { authorization: `Bearer ${o.bot_token}` }, signal: ctx.signal },
        )) as { ok?: boolean; error?: string }
        // Slack answers 200 {ok: false} on failure: throw, so the worker retries
        if (!res?.ok) throw new Error(`chat.postMessage failed: ${res?.error ?? 'no answer'}`)
      },
    })
  },
})
