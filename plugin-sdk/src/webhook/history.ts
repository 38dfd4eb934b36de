/**
 * Conversation history for channel deliveries: what a WhatsApp (or any webhook channel) contact
 * said before, and what the agent answered, so each delivery is the next turn of a conversation
 * rather than a first message. One small JSON file per conversation, replaced atomically after
 * each turn (a crash leaves the old or the new history, never a torn one).
 *
 * Bounded: the newest `maxMessages` user/assistant messages (default 20) and at most
 * `MAX_MESSAGE_CHARS` of each. Tool calls and results of past turns are not kept: they belonged to
 * that turn, and replaying them costs tokens without telling the model anything the answer does not.
 * Idempotent: each entry remembers the delivery it came from, so a turn run again after a crash
 * (between the history write and the journalled reply) is not recorded twice.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { sha256Hex } from '../crypto.js'
import { writeFileAtomicSync } from '../fs.js'
import type { ChatMessage } from '../agent.js'

export const DEFAULT_HISTORY_MESSAGES = 20
export const MAX_MESSAGE_CHARS = 8000

/**
 * Where a delivery's turn reads the conversation so far and records itself: this class (files on
 * this node's disk) or, in cluster mode, `SharedChannelState` (PostgreSQL, seen by every node).
 */
export interface HistoryStore {
  /** the earlier messages of `conversation`, oldest first, without those of `delivery` itself */
  messages(conversation: string, delivery: string): ChatMessage[] | Promise<ChatMessage[]>
  /** record one finished turn (once per delivery) */
  record(conversation: string, delivery: string, user: string, assistant: string): void | Promise<void>
}

interface Entry {
  role: 'user' | 'assistant'
  content: string
  delivery: string
}

export class ConversationHistory implements HistoryStore {
  constructor(
    private readonly dir: string,
    private readonly maxMessages = DEFAULT_HISTORY_MESSAGES,
  ) {}

  private file(conversation: string): string {
    // hashed: conversation ids are provider-controlled (phone numbers, room tokens)
    return join(this.dir, `${sha256Hex(conversation).slice(0, 32)}.json`)
  }

  private read(conversation: string): Entry[] {
    const f = this.file(conversation)
    if (!existsSync(f)) return []
    try {
      const doc = JSON.parse(readFileSync(f, 'utf8')) as { conversation?: string; messages?: Entry[] }
      // a hash collision (or a foreign file) must not leak one contact's history to another
      if (doc.conversation !== conversation || !Array.isArray(doc.messages)) return []
      return doc.messages.filter((m) => (m.role === 'user' || m.role === 'assistant') && typeof m.content === 'string')
    } catch {
      return [] // unreadable: the conversation starts over rather than the delivery failing
    }
  }

  /** the earlier messages of `conversation`, oldest first, without those of `delivery` itself */
  messages(conversation: string, delivery: string): ChatMessage[] {
    if (this.maxMessages <= 0) return []
    return this.read(conversation)
      .filter((m) => m.delivery !== delivery)
      .map((m) => ({ role: m.role, content: m.content }))
  }

  /** record one finished turn (once per delivery) */
  record(conversation: string, delivery: string, user: string, assistant: string): void {
    if (this.maxMessages <= 0) return
    const entries = this.read(conversation)
    if (entries.some((m) => m.delivery === delivery)) return
    const clip = (s: string) => (s.length > MAX_MESSAGE_CHARS ? s.slice(0, MAX_MESSAGE_CHARS) : s)
    entries.push({ role: 'user', content: clip(user), delivery })
    if (assistant.trim()) entries.push({ role: 'assistant', content: clip(assistant), delivery })
    const kept = entries.slice(-this.maxMessages)
    // a history opens with what the contact said, not with half of an earlier exchange
    while (kept[0]?.role === 'assistant') kept.shift()
    writeFileAtomicSync(this.file(conversation), JSON.stringify({ conversation, messages: kept }), 0o600)
  }
}
