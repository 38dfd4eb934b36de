/**
 * wati — the WATI webhook. WATI has no HMAC: the webhook URL is configured with a custom header,
 * `X-Revka-Webhook-Secret`, compared in constant time. The reference accepted every delivery when
 * no secret was set and echoed any GET challenge; here both fail closed.
 */
import { defineWebhook, definePlugin, timingSafeEqualStr } from '@revka/plugin-sdk'
import { normaliseWati } from './normalise.js'
import { sendWatiText } from './send.js'

export default definePlugin({
  setup(api) {
    defineWebhook(api, {
      channel: 'wati',
      path: '/wati',
      secret: { env: 'REVKA_WATI_WEBHOOK_SECRET', config: 'webhook_secret' },
      verify(req, secret) {
        const presented = req.headers['x-revka-webhook-secret']
        return typeof presented === 'string' && timingSafeEqualStr(presented, secret)
      },
      // no signed timestamp: only the message id stops a replay, so it is kept a day (GATEWAY.md §8)
      idempotencyWindowSecs: 86_400,
      normalise: normaliseWati,
      send: sendWatiText,
      handshake: {
        secret: { env: 'REVKA_WATI_VERIFY_TOKEN', config: 'verify_token' },
        verify: (q, token) => timingSafeEqualStr(q['hub.verify_token'], token),
        challenge: (q) => q['hub.challenge'],
      },
    })
  },
})
