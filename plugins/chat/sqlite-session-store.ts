/**
 * The single-node session store: `sessions/sessions.db` (SQLite, WAL). One row per session, one
 * row per message. better-sqlite3 is synchronous, which suits it here: every statement is a few
 * microseconds and keeping them on the event loop means no two writers ever interleave. The
 * methods answer the asynchronous SessionStore interface with values already settled — the work
 * is done when the call returns — so awaiting them costs a microtask, never a round trip.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import { ensurePrivateFile } from '@revka/plugin-sdk'
import { budgetWalk, type BudgetOptions, type MessageMeta, type Role, type SessionCursor, type SessionRow, type SessionStore } from './session-store.js'

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

export class SqliteSessionStore implements SessionStore {
  private constructor(private readonly db: BetterSqlite3.Database) {}

  /** Opens (creating) the database; better-sqlite3 is imported here so setup stays light. */
  static async open(dir: string): Promise<SqliteSessionStore> {
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
    return new SqliteSessionStore(db)
  }

  close(): void {
    if (this.db.open) this.db.close()
  }

  get open(): boolean {
    return this.db.open
  }

  async get(id: string): Promise<SessionRow | undefined> {
    return this.row(id)
  }

  private row(id: string): SessionRow | undefined {
    return this.db.prepare(`SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.id = ?`).get(id) as SessionRow | undefined
  }

  async ensure(id: string, channel: string, name?: string, owner?: string): Promise<SessionRow> {
    const now = new Date().toISOString()
    this.db
      .prepare(
        `INSERT INTO sessions (id, name, channel, started_at, last_activity, owner) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT(id) DO NOTHING`,
      )
      .run(id, name ?? null, channel, now, now, owner ?? null)
    if (name) this.db.prepare('UPDATE sessions SET name = ? WHERE id = ?').run(name, id)
    return this.row(id)!
  }

  async append(id: string, role: Role, content: string, attachments: string[] = [], channel = 'dashboard', owner?: string): Promise<void> {
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

  /** metadata rows are iterated lazily: the walk stops reading where the budget ends */
  async newestWithin(id: string, o: BudgetOptions): Promise<MessageMeta[]> {
    const walk = budgetWalk(o)
    const rows = this.db
      .prepare(
        `SELECT id, role, length(CAST(content AS BLOB)) AS bytes, attachments FROM messages
      WHERE session_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
      )
      .iterate(id, o.before ?? Number.MAX_SAFE_INTEGER, o.limit) as IterableIterator<{ id: number; role: Role; bytes: number; attachments: string | null }>
    for (const r of rows) {
      if (!walk.take({ id: r.id, role: r.role, bytes: r.bytes, attachments: r.attachments ? JSON.parse(r.attachments) : [] })) break
    }
    return walk.chosen
  }

  async contentPrefix(messageId: number, maxChars: number): Promise<string> {
    const row = this.db.prepare('SELECT substr(content, 1, ?) AS c FROM messages WHERE id = ?').get(maxChars, messageId) as { c: string } | undefined
    return row?.c ?? ''
  }

  async contents(messageIds: number[]): Promise<string[]> {
    const one = this.db.prepare('SELECT content AS c FROM messages WHERE id = ?')
    return messageIds.map((id) => (one.get(id) as { c: string } | undefined)?.c ?? '')
  }

  async hasOlder(sessionId: string, id: number): Promise<boolean> {
    return this.db.prepare('SELECT 1 FROM messages WHERE session_id = ? AND id < ? LIMIT 1').get(sessionId, id) !== undefined
  }

  async listPage(limit: number, before?: SessionCursor): Promise<{ rows: SessionRow[]; more: boolean }> {
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

  async activeOwnedBy(owner: string): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM sessions WHERE owner = ? AND archived_at IS NULL').get(owner) as { n: number }).n
  }

  async rename(id: string, name: string): Promise<boolean> {
    return this.db.prepare('UPDATE sessions SET name = ? WHERE id = ?').run(name, id).changes > 0
  }

  async archive(id: string): Promise<string | null> {
    const now = new Date().toISOString()
    this.db.prepare('UPDATE sessions SET archived_at = COALESCE(archived_at, ?) WHERE id = ?').run(now, id)
    return this.row(id)?.archived_at ?? null
  }
}
