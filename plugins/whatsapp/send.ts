/**
 * Replies through the Cloud API: `POST {api_base_url}/{phone_number_id}/messages` with the access
 * token as a bearer. WhatsApp caps a text message at 4096 characters, so a long reply goes out as
 * several messages, in order.
 */
import { postJson, resolveSecret, type ChannelMessage, type SendContext } from '@revka/plugin-sdk'

export const WHATSAPP_TEXT_MAX = 4096

export function splitText(text: string, max = WHATSAPP_TEXT_MAX): string[] {
  const parts: string[] = []
  let rest = text
  while (rest.length > max) {
    // prefer a paragraph or line break, then a space, so words are not cut
    const window = rest.slice(0, max)
    const cut = Math.max(window.lastIndexOf('\n'), window.lastIndexOf(' '))
    let at = cut > max / 2 ? cut : max
    if (/[\ud800-\udbff]/.test(rest[at - 1])) at-- // keep surrogate pairs (emoji) whole
    parts.push(rest.slice(0, at))
    rest = rest.slice(at).replace(/^\s+/, '')
  }
  if (rest) parts.push(rest)
  return parts
}

export async function sendCloudApiText(m: ChannelMessage, text: string, ctx: SendContext): Promise<void> {
  const o = ctx.options as { phone_number_id?: string; api_base_url?: string }
  const token = resolveSecret({ env: 'REVKA_WHATSAPP_ACCESS_TOKEN', config: 'access_token' }, ctx.options, ctx.env)
  if (!token) throw new Error('WhatsApp access_token is not configured (env REVKA_WHATSAPP_ACCESS_TOKEN or plugins.whatsapp.options.access_token)')
  const phoneNumberId = o.phone_number_id || (m.replyTo?.phone_number_id as string | undefined)
  if (!phoneNumberId) throw new Error('no phone_number_id: set plugins.whatsapp.options.phone_number_id')
  const url = `${String(o.api_base_url).replace(/\/+$/, '')}/${encodeURIComponent(phoneNumberId)}/messages`
  for (const body of splitText(text)) {
    await postJson(
      url,
      {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: String(m.replyTo?.to ?? m.sender),
        type: 'text',
        text: { preview_url: false, body },
      },
      { headers: { authorization: `Bearer ${token}` }, signal: ctx.signal },
    )
  }
}
