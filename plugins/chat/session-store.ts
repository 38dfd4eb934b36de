/**
 * Persisted chat sessions: `sessions/sessions.db` (SQLite, WAL). One row per session, one row per
 * message. better-sqlite3 is synchronous, which suits it here: every statement is a few
 * microseconds and keeping them on the event loop means no two writers ever interleave.
 *
 * Reads never materialise a whole history: messages are scanned newest first as metadata (id,
 * role, byte size) until the caller's budget is spent, and only the contents that fit are fetched.
 * Each session records its owner (the credential key that created it); sessions from before that
 * column existed have none and stay usable by every caller.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import { ensurePrivateFile } from '@revka/plugin-sdk'

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

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  name TEXT,
  channel TEXT NOT NULL DEFAULT 'dashboard',
  started_at TEXT NOT NULL,
  last_activity TEXT NOT NULL,
  archived_at TEXT
);
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id TEXT NOT NULL REFERENCES sessions(id),
  role TEXT NOT NULL,
  content TEXT NOT NULL,
  attachments TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_session ON messages(session_id, id);
CREATE INDEX IF NOT EXISTS sessions_by_activity ON sessions(last_activity, id);
`

/** Ownership came later: old databases gain the column (null = no owner) and its index once. */
function migrate(db: BetterSqlite3.Database): void {
  const columns = db.prepare('PRAGMA table_info(sessions)').all() as Array<{ name: string }>
  if (!columns.some((c) => c.name === 'owner')) db.exec('ALTER TABLE sessions ADD COLUMN owner TEXT')
  db.exec('CREATE INDEX IF NOT EXISTS sessions_by_owner ON sessions(owner, archived_at)')
}

const SESSION_COLUMNS = `s.id, s.name, s.channel, s.started_at, s.last_activity, s.archived_at, s.owner,
  (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id) AS message_count`

export class SessionStore {
  private constructor(private readonly db: BetterSqlite3.Database) {}

  /** Opens (creating) the database; better-sqlite3 is imported here so setup stays light. */
  static async open(dir: string): Promise<SessionStore> {
    const sessionsDir = join(dir, 'sessions')
    mkdirSync(sessionsDir, { recursive: true, mode: 0o700 })
    // created 0600 before SQLite opens it, so its -wal/-shm companions take the same mode even
    // when the process umask is loose (tests, embedders that skip the CLI)
    const file = join(sessionsDir, 'sessions.db')
    ensurePrivateFile(file)
    const { default: Database } = await import('better-sqlite3')
    const db = new Database(file)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    db.exec(SCHEMA)
    migrate(db)
    return new SessionStore(db)
  }

  close(): void {
    if (this.db.open) this.db.close()
  }

  get open(): boolean {
    return this.db.open
  }

  get(id: string): SessionRow | undefined {
    return this.db.prepare(`SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.id = ?`).get(id) as SessionRow | undefined
  }

  /** Creates the session if it is new (owned by `owner`); a non-empty `name` is (re)stored either way. */
  ensure(id: string, channel: string, name?: string, owner?: string): SessionRow {
    const now = new Date().toISOString()
    this.db
      .prepare(
        `INSERT INTO sessions (id, name, channel, started_at, last_activity, owner) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT(id) DO NOTHING`,
      )
      .run(id, name ?? null, channel, now, now, owner ?? null)
    if (name) this.db.prepare('UPDATE sessions SET name = ? WHERE id = ?').run(name, id)
    return this.get(id)!
  }

  /** Appends a message, creating the session (owned by `owner`) and un-archiving it (a new message revives it). */
  append(id: string, role: Role, content: string, attachments: string[] = [], channel = 'dashboard', owner?: string): void {
    const now = new Date().toISOString()
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO sessions (id, channel, started_at, last_activity, owner) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET last_activity = excluded.last_activity, archived_at = NULL`,
        )
        .run(id, channel, now, now, owner ?? null)
      this.db
        .prepare('INSERT INTO messages (session_id, role, content, attachments, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(id, role, content, attachments.length ? JSON.stringify(attachments) : null, now)
    })()
  }

  /**
   * Visits a session's messages newest first (metadata only), older than `before` when given,
   * until `visit` returns false or `limit` rows were seen. Nothing else may run on the connection
   * while the scan is open, so `visit` must only decide (fetch contents afterwards).
   */
  scanMessages(id: string, o: { before?: number; limit: number }, visit: (m: MessageMeta) => boolean): void {
    const rows = this.db
      .prepare(
        `SELECT id, role, length(CAST(content AS BLOB)) AS bytes, attachments FROM messages
      WHERE session_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
      )
      .iterate(id, o.before ?? Number.MAX_SAFE_INTEGER, o.limit) as IterableIterator<{ id: number; role: Role; bytes: number; attachments: string | null }>
    for (const r of rows) {
      if (!visit({ id: r.id, role: r.role, bytes: r.bytes, attachments: r.attachments ? JSON.parse(r.attachments) : [] })) break
    }
  }

  /**
   * The newest messages (older than `before`) whose sizes fit `budgetBytes`, newest first, each
   * counted with `overheadBytes`: the newest is always taken (the caller cuts it if it must),
   * older ones only whole, and the walk ends at the first that does not fit, so pages stay contiguous.
   */
  newestWithin(id: string, o: { before?: number; limit: number; budgetBytes: number; overheadBytes: number }): MessageMeta[] {
    const chosen: MessageMeta[] = []
    let planned = 0
    this.scanMessages(id, o, (m) => {
      const cost = m.bytes + o.overheadBytes
      if (chosen.length && planned + cost > o.budgetBytes) return false
      chosen.push(m)
      planned += cost
      return planned < o.budgetBytes
    })
    return chosen
  }

  /** One message's content; with `maxChars`, only its first characters (SQLite cuts it, so the rest never reaches JS). */
  content(messageId: number, maxChars?: number): string {
    const row =
      maxChars === undefined
        ? this.db.prepare('SELECT content AS c FROM messages WHERE id = ?').get(messageId)
        : this.db.prepare('SELECT substr(content, 1, ?) AS c FROM messages WHERE id = ?').get(maxChars, messageId)
    return (row as { c: string } | undefined)?.c ?? ''
  }

  /** true when a message older than `id` exists in the session */
  hasOlder(sessionId: string, id: number): boolean {
    return this.db.prepare('SELECT 1 FROM messages WHERE session_id = ? AND id < ? LIMIT 1').get(sessionId, id) !== undefined
  }

  messageCount(id: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM messages WHERE session_id = ?').get(id) as { n: number }).n
  }

  /** One page of sessions, newest activity first, strictly after `before`; `more` when another page follows. */
  listPage(limit: number, before?: SessionCursor): { rows: SessionRow[]; more: boolean } {
    const rows = (
      before
        ? this.db
            .prepare(
              `SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.last_activity < ? OR (s.last_activity = ? AND s.id < ?)
          ORDER BY s.last_activity DESC, s.id DESC LIMIT ?`,
            )
            .all(before.last_activity, before.last_activity, before.id, limit + 1)
        : this.db.prepare(`SELECT ${SESSION_COLUMNS} FROM sessions s ORDER BY s.last_activity DESC, s.id DESC LIMIT ?`).all(limit + 1)
    ) as SessionRow[]
    const more = rows.length > limit
    return { rows: more ? rows.slice(0, limit) : rows, more }
  }

  /** non-archived sessions `owner` created */
  activeOwnedBy(owner: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM sessions WHERE owner = ? AND archived_at IS NULL').get(owner) as { n: number }).n
  }

  /** false when the session does not exist */
  rename(id: string, name: string): boolean {
    return this.db.prepare('UPDATE sessions SET name = ? WHERE id = ?').run(name, id).changes > 0
  }

  /** the archive time, or null when the session does not exist (archiving twice keeps the first time) */
  archive(id: string): string | null {
    const now = new Date().toISOString()
    this.db.prepare('UPDATE sessions SET archived_at = COALESCE(archived_at, ?) WHERE id = ?').run(now, id)
    return this.get(id)?.archived_at ?? null
  }
}
