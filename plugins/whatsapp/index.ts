/**
 * whatsapp — the WhatsApp Cloud API webhook. Meta signs each delivery with
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`; the kernel runs `verify`
 * on the raw bytes before the handler, and refuses every delivery (503) while no app secret is set —
 * unlike the reference, which accepted unsigned deliveries then. Replies go out through the
 * Cloud API from the durable delivery queue, after the 200.
 */
import { defineWebhook, definePlugin, hmacSha256Hex, timingSafeEqualStr } from '@revka/plugin-sdk'
import { normaliseCloudApi } from './normalise.js'
import { sendCloudApiText } from './send.js'

export default definePlugin({
  setup(api) {
    defineWebhook(api, {
      channel: 'whatsapp',
      path: '/whatsapp',
      secret: { env: 'REVKA_WHATSAPP_APP_SECRET', config: 'app_secret' },
      verify(req, secret) {
        const sig = req.headers['x-hub-signature-256']
        if (typeof sig !== 'string' || !sig.startsWith('sha256=')) return false
        return timingSafeEqualStr(sig.slice('sha256='.length).trim().toLowerCase(), hmacSha256Hex(secret, req.rawBody))
      },
      // no signed timestamp: only the message id stops a replay, so it is kept a day (GATEWAY.md §8)
      idempotencyWindowSecs: 86_400,
      normalise: normaliseCloudApi,
      send: sendCloudApiText,
      handshake: {
        secret: { env: 'REVKA_WHATSAPP_VERIFY_TOKEN', config: 'verify_token' },
        verify: (q, token) => q['hub.mode'] === 'subscribe' && timingSafeEqualStr(q['hub.verify_token'], token),
        challenge: (q) => q['hub.challenge'],
      },
    })
  },
})
