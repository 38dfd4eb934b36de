/**
 * A push notification has no one to answer: Gmail replies are out of scope for push. When
 * `api_base_url` is set, the agent's reply to each notification is posted there as JSON (an
 * automation endpoint, a mail-sending service); otherwise the turn's work is its own result.
 */
import { postJson, type ChannelMessage, type SendContext } from '@revka/plugin-sdk'

export async function forwardReply(m: ChannelMessage, text: string, ctx: SendContext): Promise<void> {
  const o = ctx.options as { api_base_url?: string; api_token?: string }
  if (!o.api_base_url) return
  await postJson(
    o.api_base_url,
    {
      channel: 'gmail',
      email_address: m.replyTo?.email_address,
      history_id: m.replyTo?.history_id,
      message_id: m.replyTo?.message_id,
      reply: text,
    },
    { headers: o.api_token ? { authorization: `Bearer ${o.api_token}` } : {}, signal: ctx.signal },
  )
}
