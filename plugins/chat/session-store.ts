/**
 * What the chat keeps of its sessions, behind one asynchronous interface with two backends: the
 * node's own SQLite file (sqlite-session-store.ts, the default) and, in cluster mode, the
 * cluster's PostgreSQL through the kernel's `shared-sql` service (pg-session-store.ts), so a
 * session started on one node is listed, continued, renamed and archived on any other.
 *
 * Reads never materialise a whole history: messages are scanned newest first as metadata (id,
 * role, byte size) until the caller's budget is spent, and only the contents that fit are fetched
 * (in one call, so a remote backend pays one round trip, not one per message).
 * Each session records its owner (the credential key that created it); sessions from before that
 * column existed have none and stay usable by every caller.
 */
export type Role = 'user' | 'assistant'

export interface SessionRow {
  id: string
  name: string | null
  channel: string
  started_at: string
  last_activity: string
  archived_at: string | null
  message_count: number
  /** the credential key that created it; null for sessions older than ownership */
  owner: string | null
}

/** A message without its content: what a budgeted read decides on. */
export interface MessageMeta {
  id: number
  role: Role
  /** UTF-8 bytes of the content */
  bytes: number
  /** attachment file ids the user sent with this message (re-resolved when it is replayed) */
  attachments: string[]
}

/** Where a page of sessions starts: strictly older than this (last_activity, id). */
export interface SessionCursor {
  last_activity: string
  id: string
}

export interface BudgetOptions {
  /** only messages older than this id */
  before?: number
  /** at most this many messages */
  limit: number
  budgetBytes: number
  /** counted with every message on top of its bytes */
  overheadBytes: number
}

/**
 * The session store. Every call may reject: with the SQLite backend only on a fault, with the
 * PostgreSQL one also with httpError 503 `cluster_unavailable` while the engine cannot be reached
 * (routes let it through; the WebSocket turns it into an error frame).
 */
export interface SessionStore {
  readonly open: boolean
  close(): void
  get(id: string): Promise<SessionRow | undefined>
  /** Creates the session if it is new (owned by `owner`); a non-empty `name` is (re)stored either way. */
  ensure(id: string, channel: string, name?: string, owner?: string): Promise<SessionRow>
  /** Appends a message, creating the session (owned by `owner`) and un-archiving it (a new message revives it). */
  append(id: string, role: Role, content: string, attachments?: string[], channel?: string, owner?: string): Promise<void>
  /**
   * The newest messages (older than `before`) whose sizes fit `budgetBytes`, newest first, each
   * counted with `overheadBytes`: the newest is always taken (the caller cuts it if it must),
   * older ones only whole, and the walk ends at the first that does not fit, so pages stay contiguous.
   */
  newestWithin(id: string, o: BudgetOptions): Promise<MessageMeta[]>
  /** One message's first `maxChars` characters (the store cuts it, so the rest never reaches JS). */
  contentPrefix(messageId: number, maxChars: number): Promise<string>
  /** Whole contents of these messages, in the same order ('' for an unknown id). */
  contents(messageIds: number[]): Promise<string[]>
  /** true when a message older than `id` exists in the session */
  hasOlder(sessionId: string, id: number): Promise<boolean>
  /** One page of sessions, newest activity first, strictly after `before`; `more` when another page follows. */
  listPage(limit: number, before?: SessionCursor): Promise<{ rows: SessionRow[]; more: boolean }>
  /** non-archived sessions `owner` created */
  activeOwnedBy(owner: string): Promise<number>
  /** false when the session does not exist */
  rename(id: string, name: string): Promise<boolean>
  /** the archive time, or null when the session does not exist (archiving twice keeps the first time) */
  archive(id: string): Promise<string | null>
}

/**
 * The walk behind `newestWithin`, shared by both backends: offer messages newest first to `take`
 * until it returns false; `chosen` is the answer.
 */
export function budgetWalk(o: BudgetOptions): { chosen: MessageMeta[]; take(m: MessageMeta): boolean } {
  const chosen: MessageMeta[] = []
  let planned = 0
  return {
    chosen,
    take(m) {
      const cost = m.bytes + o.overheadBytes
      if (chosen.length && planned + cost > o.budgetBytes) return false
      chosen.push(m)
      planned += cost
      return planned < o.budgetBytes
    },
  }
}

/**
 * The texts of `chosen` (newest first, from `newestWithin`) in one read: the newest cut to its first
 * `room` characters when it is bigger than `room` bytes (the caller trims it to bytes), the others whole.
 */
export async function chosenTexts(store: SessionStore, chosen: MessageMeta[], room: number): Promise<string[]> {
  if (!chosen.length) return []
  const cut = chosen[0].bytes > room
  const [first, rest] = await Promise.all([
    cut ? store.contentPrefix(chosen[0].id, Math.max(0, room)) : undefined,
    store.contents((cut ? chosen.slice(1) : chosen).map((m) => m.id)),
  ])
  return first === undefined ? rest : [first, ...rest]
}
