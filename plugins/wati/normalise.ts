/**
 * WATI's message webhook → a channel message. WATI posts one flat object per event:
 * `{id, whatsappMessageId, conversationId, text, type, waId, senderName, owner, eventType, timestamp}`.
 * `owner: true` marks messages the business (that is, this agent) sent; they are dropped so the
 * agent never answers itself. Only text starts a turn.
 */
import { isObject, type ChannelMessage } from '@revka/plugin-sdk'

const WA_ID = /^\+?\d{5,20}$/

export function normaliseWati(payload: unknown): ChannelMessage[] {
  if (!isObject(payload)) throw new Error('expected a JSON object')
  if (payload.eventType !== undefined && payload.eventType !== 'message') return []
  if (payload.owner === true || payload.type !== 'text') return []
  const waId = typeof payload.waId === 'string' ? payload.waId.trim() : ''
  const text = typeof payload.text === 'string' ? payload.text : ''
  if (!WA_ID.test(waId) || !text.trim()) return []
  const id = [payload.whatsappMessageId, payload.id].find((v) => typeof v === 'string' && v.trim())
  return [{ channel: 'wati', sender: waId.replace(/^\+/, ''), text, messageId: id as string | undefined, replyTo: { wa_id: waId.replace(/^\+/, '') } }]
}
