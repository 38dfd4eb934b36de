/** Replies through the Linq Partner API: `POST {api_base_url}/chats/{chat_id}/messages`. */
import { postJson, resolveSecret, type ChannelMessage, type SendContext } from '@revka/plugin-sdk'

export async function sendLinqText(m: ChannelMessage, text: string, ctx: SendContext): Promise<void> {
  const o = ctx.options as { api_base_url?: string }
  const token = resolveSecret({ env: 'REVKA_LINQ_API_TOKEN', config: 'api_token' }, ctx.options, ctx.env)
  if (!token) throw new Error('Linq api_token is not configured (env REVKA_LINQ_API_TOKEN or plugins.linq.options.api_token)')
  const chatId = String(m.replyTo?.chat_id ?? '')
  if (!chatId) throw new Error('Linq message has no chat id to reply to')
  const url = `${String(o.api_base_url).replace(/\/+$/, '')}/chats/${encodeURIComponent(chatId)}/messages`
  await postJson(
    url,
    { message: { parts: [{ type: 'text', value: text }] } },
    {
      headers: { authorization: `Bearer ${token}` },
      signal: ctx.signal,
    },
  )
}
