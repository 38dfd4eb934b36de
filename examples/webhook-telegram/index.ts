/**
 * webhook-telegram — a complete Telegram bot, written only against @revka/plugin-sdk.
 * `defineWebhook` gives it everything else: the kernel refuses deliveries while no secret is set
 * (503), runs `verify` before the handler, de-duplicates by update_id, journals each delivery
 * before the 200, runs the agent off the request path and retries `send` after a crash.
 */
import { defineWebhook, definePlugin, postJson, timingSafeEqualStr, type ChannelMessage } from '@revka/plugin-sdk'

interface Options {
  secret?: string
  bot_token?: string
  api_base_url: string
}

interface TelegramMessage {
  message_id: number
  text?: string
  chat: { id: number; type: string }
  from?: { id: number; is_bot?: boolean }
}
interface Update {
  update_id: number
  message?: TelegramMessage
  edited_message?: TelegramMessage
}

/** An Update → at most one message; bots and non-text updates are acknowledged and dropped. */
export function normaliseUpdate(update: Update): ChannelMessage[] {
  if (typeof update?.update_id !== 'number') throw new Error('not a Telegram Update')
  const m = update.message ?? update.edited_message
  if (!m?.text || !m.from || m.from.is_bot) return []
  return [
    {
      channel: 'telegram',
      sender: String(m.from.id),
      text: m.text,
      // in a group, each member keeps their own session within the chat
      thread: m.chat.type === 'private' ? undefined : String(m.chat.id),
      messageId: String(update.update_id),
      replyTo: { chat_id: m.chat.id, message_id: m.message_id },
    },
  ]
}

export default definePlugin<Options>({
  setup(api) {
    defineWebhook<Update>(api, {
      channel: 'telegram',
      path: '/webhook/telegram',
      secret: { env: 'REVKA_TELEGRAM_SECRET', config: 'secret' },
      verify: (req, secret) => timingSafeEqualStr(req.headers['x-telegram-bot-api-secret-token'] as string | undefined, secret),
      normalise: normaliseUpdate,
      // a cron delivery's `to` is the chat id to post in
      address: (to) => ({ channel: 'telegram', sender: to, text: '', replyTo: { chat_id: to } }),
      async send(m, text, ctx) {
        const o = ctx.options as unknown as Options
        if (!o.bot_token) throw new Error('bot_token is not configured (plugins.webhook-telegram.options.bot_token)')
        await postJson(
          `${o.api_base_url.replace(/\/+$/, '')}/bot${o.bot_token}/sendMessage`,
          {
            chat_id: m.replyTo?.chat_id,
            text: text.slice(0, 4096), // the Bot API's limit for one message
            reply_parameters: { message_id: m.replyTo?.message_id, allow_sending_without_reply: true },
          },
          { signal: ctx.signal },
        )
      },
    })
  },
})
