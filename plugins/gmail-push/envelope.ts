/**
 * The Pub/Sub push envelope → the notification the agent is told about.
 * `{message: {data: base64(JSON {emailAddress, historyId}), messageId, publishTime}, subscription}`.
 * A malformed envelope answers 400 (Pub/Sub then retries and dead-letters it); a well-formed one
 * always produces a turn, identified by the Pub/Sub message id so redeliveries are de-duplicated.
 */
import { isObject, type ChannelMessage } from '@revka/plugin-sdk'

export interface PubSubEnvelope {
  message: { data: string; messageId: string; publishTime?: string; attributes?: Record<string, string> }
  subscription?: string
}

export interface GmailNotification {
  emailAddress: string
  historyId: string
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/

export function parseEnvelope(payload: unknown): { envelope: PubSubEnvelope; notification: GmailNotification } {
  if (!isObject(payload) || !isObject(payload.message)) throw new Error('Invalid Pub/Sub envelope')
  const m = payload.message
  // Pub/Sub sends both spellings of the id
  const messageId = typeof m.messageId === 'string' ? m.messageId : typeof m.message_id === 'string' ? m.message_id : ''
  if (!messageId || messageId.length > 200 || typeof m.data !== 'string' || !BASE64.test(m.data)) throw new Error('Invalid Pub/Sub envelope')
  let data: unknown
  try {
    data = JSON.parse(Buffer.from(m.data, 'base64').toString('utf8'))
  } catch {
    throw new Error('Invalid Pub/Sub envelope: data is not base64 JSON')
  }
  if (!isObject(data) || typeof data.emailAddress !== 'string' || !data.emailAddress.includes('@')) {
    throw new Error('Invalid Pub/Sub envelope: data has no emailAddress')
  }
  const historyId = typeof data.historyId === 'number' || typeof data.historyId === 'string' ? String(data.historyId) : ''
  if (!/^\d{1,30}$/.test(historyId)) throw new Error('Invalid Pub/Sub envelope: data has no historyId')
  const envelope: PubSubEnvelope = {
    message: { data: m.data, messageId, publishTime: typeof m.publishTime === 'string' ? m.publishTime : undefined },
    subscription: typeof payload.subscription === 'string' ? payload.subscription : undefined,
  }
  return { envelope, notification: { emailAddress: data.emailAddress, historyId } }
}

export function normalisePubSub(payload: unknown): ChannelMessage[] {
  const { envelope, notification } = parseEnvelope(payload)
  const when = envelope.message.publishTime ? ` at ${envelope.message.publishTime}` : ''
  return [
    {
      channel: 'gmail',
      sender: notification.emailAddress,
      text: `Gmail push notification: new mailbox activity for ${notification.emailAddress} (history id ${notification.historyId})${when}.`,
      messageId: envelope.message.messageId,
      replyTo: { email_address: notification.emailAddress, history_id: notification.historyId, message_id: envelope.message.messageId },
    },
  ]
}
