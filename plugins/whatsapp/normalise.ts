/**
 * The Cloud API's webhook payload → channel messages. A delivery batches changes:
 * `{object, entry: [{changes: [{value: {metadata: {phone_number_id}, messages: [...]}}]}]}`. Only
 * text messages start a turn; statuses (sent/delivered/read) and other message types are
 * acknowledged and dropped, so Meta does not retry them.
 */
import { isObject, type ChannelMessage } from '@revka/plugin-sdk'

/** WhatsApp ids are phone numbers in international form without `+` */
const WA_ID = /^\d{5,20}$/

export function normaliseCloudApi(payload: unknown): ChannelMessage[] {
  if (!isObject(payload) || !Array.isArray(payload.entry)) throw new Error('expected {"object": …, "entry": [...]}')
  const out: ChannelMessage[] = []
  for (const entry of payload.entry) {
    if (!isObject(entry) || !Array.isArray(entry.changes)) continue
    for (const change of entry.changes) {
      const value = isObject(change) ? change.value : undefined
      if (!isObject(value) || !Array.isArray(value.messages)) continue
      const phoneNumberId = isObject(value.metadata) && typeof value.metadata.phone_number_id === 'string' ? value.metadata.phone_number_id : undefined
      for (const m of value.messages) {
        if (!isObject(m) || m.type !== 'text' || !isObject(m.text) || typeof m.text.body !== 'string') continue
        if (typeof m.from !== 'string' || !WA_ID.test(m.from) || !m.text.body.trim()) continue
        out.push({
          channel: 'whatsapp',
          sender: m.from,
          text: m.text.body,
          messageId: typeof m.id === 'string' ? m.id : undefined,
          replyTo: { to: m.from, phone_number_id: phoneNumberId },
        })
      }
    }
  }
  return out
}
