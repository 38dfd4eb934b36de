/**
 * Persisted chat sessions: `<workspace>/sessions/sessions.db` (SQLite, WAL). One row per session,
 * one row per message. better-sqlite3 is synchronous, which suits it here: every statement is a
 * few microseconds and keeping them on the event loop means no two writers ever interleave.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'

export type Role = 'user' | 'assistant'

export interface SessionRow {
  id: string
  name: string | null
  channel: string
  started_at: string
  last_activity: string
  archived_at: string | null
  message_count: number
}

export interface StoredMessage {
  role: Role
  content: string
  /** attachment file ids the user sent with this message (re-resolved when it is replayed) */
  attachments: string[]
  created_at: string
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
`

const SESSION_COLUMNS = `s.id, s.name, s.channel, s.started_at, s.last_activity, s.archived_at,
  (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id) AS message_count`

export class SessionStore {
  private constructor(private readonly db: BetterSqlite3.Database) {}

  /** Opens (creating) the database; better-sqlite3 is imported here so setup stays light. */
  static async open(workspaceDir: string): Promise<SessionStore> {
    const dir = join(workspaceDir, 'sessions')
    mkdirSync(dir, { recursive: true })
    const { default: Database } = await import('better-sqlite3')
    const db = new Database(join(dir, 'sessions.db'))
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    db.exec(SCHEMA)
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

  /** Creates the session if it is new; a non-empty `name` is (re)stored either way. */
  ensure(id: string, channel: string, name?: string): SessionRow {
    const now = new Date().toISOString()
    this.db.prepare(`INSERT INTO sessions (id, name, channel, started_at, last_activity) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(id) DO NOTHING`).run(id, name ?? null, channel, now, now)
    if (name) this.db.prepare('UPDATE sessions SET name = ? WHERE id = ?').run(name, id)
    return this.get(id)!
  }

  /** Appends a message, creating the session and un-archiving it (a new message revives it). */
  append(id: string, role: Role, content: string, attachments: string[] = [], channel = 'dashboard'): void {
    const now = new Date().toISOString()
    this.db.transaction(() => {
      this.db.prepare(`INSERT INTO sessions (id, channel, started_at, last_activity) VALUES (?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET last_activity = excluded.last_activity, archived_at = NULL`).run(id, channel, now, now)
      this.db.prepare('INSERT INTO messages (session_id, role, content, attachments, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(id, role, content, attachments.length ? JSON.stringify(attachments) : null, now)
    })()
  }

  /** The last `limit` messages of a session, oldest first. */
  messages(id: string, limit = Number.MAX_SAFE_INTEGER): StoredMessage[] {
    const rows = this.db.prepare(`SELECT role, content, attachments, created_at FROM
      (SELECT id, role, content, attachments, created_at FROM messages WHERE session_id = ? ORDER BY id DESC LIMIT ?)
      ORDER BY id ASC`).all(id, limit) as Array<{ role: Role; content: string; attachments: string | null; created_at: string }>
    return rows.map((r) => ({ role: r.role, content: r.content, attachments: r.attachments ? JSON.parse(r.attachments) : [], created_at: r.created_at }))
  }

  messageCount(id: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM messages WHERE session_id = ?').get(id) as { n: number }).n
  }

  list(): SessionRow[] {
    return this.db.prepare(`SELECT ${SESSION_COLUMNS} FROM sessions s ORDER BY s.last_activity DESC`).all() as SessionRow[]
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
