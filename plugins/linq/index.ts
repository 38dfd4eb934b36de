/**
 * linq — the Linq Partner API webhook (iMessage, RCS, SMS). Linq signs `"{timestamp}.{raw body}"`
 * with HMAC-SHA256 and sends the timestamp beside it, so a captured delivery can be replayed only
 * within ±300 s — and inside that window the message id de-duplicates it.
 */
import { defineWebhook, definePlugin, hmacSha256Hex, timingSafeEqualStr, type ProviderAuthRequest } from '@revka/plugin-sdk'
import { normaliseLinq } from './normalise.js'
import { sendLinqText } from './send.js'

function timestampHeader(req: ProviderAuthRequest): string | undefined {
  const ts = req.headers['x-webhook-timestamp']
  return typeof ts === 'string' && /^\d{1,12}$/.test(ts.trim()) ? ts.trim() : undefined
}

export default definePlugin({
  setup(api) {
    defineWebhook(api, {
      channel: 'linq',
      // a cron delivery's `to` is the chat id its replies go to
      address: (to) => ({ channel: 'linq', sender: to, text: '', replyTo: { chat_id: to } }),
      path: '/linq',
      secret: { env: 'REVKA_LINQ_SIGNING_SECRET', config: 'signing_secret' },
      timestamp(req) {
        const ts = timestampHeader(req)
        return ts === undefined ? undefined : Number(ts)
      },
      verify(req, secret) {
        const ts = timestampHeader(req)
        const sig = req.headers['x-webhook-signature']
        if (ts === undefined || typeof sig !== 'string') return false
        const hex = sig
          .trim()
          .replace(/^sha256=/i, '')
          .toLowerCase()
        // the signed bytes are the timestamp as sent, a dot, then the body exactly as received
        return timingSafeEqualStr(hex, hmacSha256Hex(secret, Buffer.concat([Buffer.from(`${ts}.`), req.rawBody])))
      },
      normalise: normaliseLinq,
      send: sendLinqText,
    })
  },
})
