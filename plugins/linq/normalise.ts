/**
 * Linq's `message.received` event → a channel message. Two payload generations are in the wild:
 * v3 (`data.chat.id`, `data.sender_handle.handle`, `data.parts`) and the earlier one
 * (`data.chat_id`, `data.from`, `data.message.parts`); both are read. Our own outgoing messages
 * (`is_from_me`, `direction: outbound`) and every other event type are acknowledged and dropped, so
 * the agent never answers itself.
 */
import { isObject, type ChannelMessage } from '@revka/plugin-sdk'

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined)

export function normaliseLinq(payload: unknown): ChannelMessage[] {
  if (!isObject(payload) || !isObject(payload.data)) throw new Error('expected {"event_type": …, "data": {...}}')
  const type = str(payload.event_type) ?? str(payload.type)
  if (type !== 'message.received') return []
  const d = payload.data
  if (d.is_from_me === true || d.direction === 'outbound' || d.sender_handle?.is_me === true) return []
  const chatId = str(d.chat_id) ?? str(d.chat?.id)
  const sender = str(d.from) ?? str(d.sender_handle?.handle)
  const parts: unknown[] = Array.isArray(d.message?.parts) ? d.message.parts : Array.isArray(d.parts) ? d.parts : []
  const text = parts
    .filter((p): p is { type: string; value: string } => isObject(p) && p.type === 'text' && typeof p.value === 'string')
    .map((p) => p.value)
    .join('\n')
  if (!chatId || !sender || !text.trim()) return []
  return [
    {
      channel: 'linq',
      sender,
      text,
      // a group chat is one conversation; a 1:1 chat is the sender's
      thread: d.chat?.is_group === true || d.is_group === true ? chatId : undefined,
      messageId: str(d.message?.id) ?? str(d.id) ?? str(payload.event_id),
      replyTo: { chat_id: chatId },
    },
  ]
}
