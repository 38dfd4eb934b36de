/**
 * nextcloud-talk — a Nextcloud Talk bot. Talk signs every delivery with
 * `HMAC-SHA256(secret, X-Nextcloud-Talk-Random + raw body)`; the random value must be present and
 * non-empty, or a signature over the body alone would pass. Talk carries no timestamp, so replays
 * are caught by the message id (kept a day).
 */
import { defineWebhook, definePlugin, hmacSha256Hex, timingSafeEqualStr } from '@revka/plugin-sdk'
import { normaliseTalk } from './normalise.js'
import { sendTalkReply } from './send.js'

export default definePlugin({
  setup(api) {
    defineWebhook(api, {
      channel: 'nextcloud_talk',
      // a cron delivery's `to` is the conversation token
      address: (to) => ({ channel: 'nextcloud_talk', sender: to, text: '', replyTo: { token: to } }),
      path: '/nextcloud-talk',
      secret: { env: 'REVKA_NEXTCLOUD_TALK_WEBHOOK_SECRET', config: 'webhook_secret' },
      verify(req, secret) {
        const random = req.headers['x-nextcloud-talk-random']
        const sig = req.headers['x-nextcloud-talk-signature']
        if (typeof random !== 'string' || !random.trim() || typeof sig !== 'string') return false
        const hex = sig
          .trim()
          .replace(/^sha256=/i, '')
          .toLowerCase()
        return timingSafeEqualStr(hex, hmacSha256Hex(secret, Buffer.concat([Buffer.from(random), req.rawBody])))
      },
      // no signed timestamp: only the message id stops a replay, so it is kept a day (GATEWAY.md §8)
      idempotencyWindowSecs: 86_400,
      normalise: normaliseTalk,
      send: sendTalkReply,
    })
  },
})
