/**
 * A Talk bot delivery (Activity Streams 2.0) → a channel message:
 * `{type: "Create", actor: {type: "Person", id: "users/alice", name}, object: {id, name: "message",
 * content: "{\"message\":\"hi\",\"parameters\":{}}", mediaType}, target: {id: <room token>, name}}`.
 * Only people's new messages start a turn: bots (`Application`), joins, leaves and reactions are
 * acknowledged and dropped, so two bots in one room cannot loop.
 */
import { isObject, type ChannelMessage } from '@revka/plugin-sdk'

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined)

/** `object.content` is itself JSON (`{message, parameters}`); older servers sent plain text */
function messageText(content: unknown): string | undefined {
  if (typeof content !== 'string') return undefined
  try {
    const parsed = JSON.parse(content)
    if (isObject(parsed) && typeof parsed.message === 'string') return parsed.message
  } catch {
    // plain text
  }
  return content
}

export function normaliseTalk(payload: unknown): ChannelMessage[] {
  if (!isObject(payload) || !isObject(payload.actor) || !isObject(payload.object) || !isObject(payload.target)) {
    throw new Error('expected an activity {type, actor, object, target}')
  }
  if (payload.type !== 'Create' || payload.actor.type !== 'Person') return []
  const room = str(payload.target.id)
  const actor = str(payload.actor.id)
  const text = messageText(payload.object.content)
  if (!room || !actor || !text?.trim()) return []
  const messageId = payload.object.id === undefined ? undefined : String(payload.object.id)
  return [
    {
      channel: 'nextcloud_talk',
      sender: actor.replace(/^users\//, ''),
      text,
      // a room is a conversation with several people: keep each person's session inside it
      thread: room,
      messageId: messageId ? `${room}:${messageId}` : undefined,
      replyTo: { token: room, message_id: messageId },
    },
  ]
}
