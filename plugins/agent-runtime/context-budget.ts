/**
 * The most context one model request carries (issue 10 item 3). Consumers bound their own history
 * (chat: `context_budget_bytes`, 1 MiB by default), but the runtime is the last place before the
 * provider, so it bounds every request itself, whoever the consumer is and however many tool
 * rounds the turn took: the newest messages that fit, in order. The newest one always goes (cut
 * to the budget if it alone is bigger), and the kept part never starts with a tool result whose
 * request was left out, which no provider would accept.
 */
import { statSync } from 'node:fs'
import type { ChatMessage, ContentPart } from '@revka/plugin-sdk'

/** bytes of message content (text, images as base64) one model request may carry */
export const MAX_CONTEXT_BYTES = 4 * 1024 * 1024
/** what a message costs beyond its content (role, ids, JSON framing) */
const MESSAGE_OVERHEAD_BYTES = 64

/** An image part costs what the provider sends for it: the file as base64. */
function imageBytes(path: string): number {
  try {
    return Math.ceil(statSync(path).size / 3) * 4
  } catch {
    return 0
  }
}

function partBytes(p: ContentPart): number {
  return p.type === 'text' ? Buffer.byteLength(p.text) : imageBytes(p.path)
}

function messageBytes(m: ChatMessage): number {
  const content = typeof m.content === 'string' ? Buffer.byteLength(m.content) : m.content.reduce((n, p) => n + partBytes(p), 0)
  const calls = m.tool_calls ? Buffer.byteLength(JSON.stringify(m.tool_calls)) : 0
  return content + calls + MESSAGE_OVERHEAD_BYTES
}

/** The longest prefix of `text` of at most `max` UTF-8 bytes, never splitting a character. */
function cutText(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text
  return new TextDecoder().decode(Buffer.from(text).subarray(0, Math.max(0, max))).replace(/\uFFFD$/, '')
}

/** The one message, cut to `max` bytes: text shortened, images that do not fit named instead. */
function cutMessage(m: ChatMessage, max: number): ChatMessage {
  let left = max - MESSAGE_OVERHEAD_BYTES - (m.tool_calls ? Buffer.byteLength(JSON.stringify(m.tool_calls)) : 0)
  if (typeof m.content === 'string') return { ...m, content: cutText(m.content, left) }
  const parts: ContentPart[] = []
  for (const p of m.content) {
    const size = partBytes(p)
    if (size <= left) {
      parts.push(p)
      left -= size
    } else if (p.type === 'text') {
      parts.push({ type: 'text', text: cutText(p.text, left) })
      left = 0
    } else {
      parts.push({ type: 'text', text: '[an image was left out: the request would pass its size budget]' })
    }
  }
  return { ...m, content: parts }
}

/**
 * The newest messages within `budget` bytes, oldest first (the same array when all fit). Leading
 * system messages (instructions) are kept ahead of the history when they fit.
 */
export function fitContext(messages: ChatMessage[], budget = MAX_CONTEXT_BYTES): ChatMessage[] {
  let pinned = 0
  let pinnedBytes = 0
  while (pinned < messages.length - 1 && messages[pinned].role === 'system' && pinnedBytes + messageBytes(messages[pinned]) <= budget / 2) {
    pinnedBytes += messageBytes(messages[pinned++])
  }
  if (pinned) {
    const rest = fitContext(messages.slice(pinned), budget - pinnedBytes)
    return rest.length === messages.length - pinned && rest.every((m, i) => m === messages[pinned + i]) ? messages : [...messages.slice(0, pinned), ...rest]
  }
  let total = 0
  let start = messages.length
  while (start > 0) {
    const cost = messageBytes(messages[start - 1])
    if (total + cost > budget) break
    total += cost
    start--
  }
  if (start === 0) return messages
  if (start === messages.length) return [cutMessage(messages[messages.length - 1], budget)]
  let kept = messages.slice(start)
  // a tool result answers an assistant request that must come before it
  while (kept.length > 1 && kept[0].role === 'tool') kept = kept.slice(1)
  return kept
}
