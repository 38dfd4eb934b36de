/**
 * gmail-push — Gmail's watch() notifications via a Cloud Pub/Sub push subscription. The push carries
 * `Authorization: Bearer <secret>`; because this is a provider route, the kernel does not read that
 * header as a device token — `verify` compares it to the push secret in constant time, and the
 * kernel refuses a secret equal to a device or service token. Bodies may be up to 1 MiB (the
 * contract's figure, actually enforced here).
 */
import { defineWebhook, definePlugin, timingSafeEqualStr } from '@revka/plugin-sdk'
import { normalisePubSub } from './envelope.js'
import { forwardReply } from './send.js'

export const GMAIL_BODY_LIMIT = 1024 * 1024

export default definePlugin({
  setup(api) {
    defineWebhook(api, {
      channel: 'gmail',
      // a cron delivery's `to` is the mailbox the forwarded reply is about
      address: (to) => ({ channel: 'gmail', sender: to, text: '', replyTo: { email_address: to } }),
      path: '/webhook/gmail',
      secret: { env: 'GMAIL_PUSH_WEBHOOK_SECRET', config: 'webhook_secret' },
      bodyLimit: GMAIL_BODY_LIMIT,
      verify(req, secret) {
        const m = /^Bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ''))
        return m !== null && timingSafeEqualStr(m[1], secret)
      },
      // no signed timestamp: only the message id stops a replay, so it is kept a day (GATEWAY.md §8)
      idempotencyWindowSecs: 86_400,
      normalise: normalisePubSub,
      send: forwardReply,
    })
  },
})
