/**
 * Replies as the bot: `POST {api_base_url}/ocs/v2.php/apps/spreed/api/v1/bot/{token}/message`,
 * signed like Talk's own deliveries but over random + the message text
 * (`X-Nextcloud-Talk-Bot-Random`, `X-Nextcloud-Talk-Bot-Signature`). The `referenceId` is derived from
 * the message being answered, so a retried send is recognisable as the same reply.
 */
import { randomBytes } from 'node:crypto'
import { hmacSha256Hex, postJson, resolveSecret, sha256Hex, type ChannelMessage, type SendContext } from '@revka/plugin-sdk'

export async function sendTalkReply(m: ChannelMessage, text: string, ctx: SendContext): Promise<void> {
  const o = ctx.options as { api_base_url?: string }
  const secret = resolveSecret({ env: 'REVKA_NEXTCLOUD_TALK_WEBHOOK_SECRET', config: 'webhook_secret' }, ctx.options, ctx.env)
  if (!secret) throw new Error('Nextcloud Talk webhook_secret is not configured')
  if (!o.api_base_url) throw new Error('Nextcloud Talk api_base_url is not configured (plugins.nextcloud-talk.options.api_base_url, your server)')
  const token = String(m.replyTo?.token ?? '')
  const replyTo = Number(m.replyTo?.message_id)
  const random = randomBytes(32).toString('hex')
  const url = `${o.api_base_url.replace(/\/+$/, '')}/ocs/v2.php/apps/spreed/api/v1/bot/${encodeURIComponent(token)}/message`
  await postJson(
    url,
    {
      message: text,
      referenceId: sha256Hex(`revka:${token}:${m.messageId ?? random}`),
      ...(Number.isSafeInteger(replyTo) && replyTo > 0 ? { replyTo } : {}),
    },
    {
      headers: {
        'ocs-apirequest': 'true',
        'x-nextcloud-talk-bot-random': random,
        'x-nextcloud-talk-bot-signature': hmacSha256Hex(secret, random + text),
      },
      signal: ctx.signal,
    },
  )
}
