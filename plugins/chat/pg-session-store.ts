/**
 * The cluster's session store (issue 18): `chat_sessions` and `chat_messages` on the PostgreSQL
 * every node shares, through the kernel's `shared-sql` service. Same rows, same answers as the
 * SQLite store, so a session started on one node is listed, continued, renamed and archived on
 * any other, and per-owner quotas count the sessions of every node.
 *
 * Messages take their id from an identity column when they are inserted: two nodes appending to
 * one session at once both keep their message, each in the order PostgreSQL numbered it — no
 * read-then-write anywhere. Timestamps stay ISO strings in `COLLATE "C"` columns (as are ids), so
 * ordering and the list cursor compare bytes exactly as SQLite does, whatever the engine's locale.
 *
 * The per-credential session cap is checked by the admission before a write, as on one node; here
 * nodes write at the same moment, so a write that creates (or revives) a session of its caller
 * counts again in its transaction, under an advisory lock per owner: the cap holds across nodes.
 * So does `sessions_per_minute`: each node's admission keeps its token bucket, and the same
 * transaction refuses the write when the owner started that many sessions, on any node, within
 * the last minute (a sliding window over `started_at`).
 * A lost engine is the service's 503 `cluster_unavailable`, passed on unchanged.
 */
import type { SharedSqlService, SqlMigration, SqlQueryable } from '@revka/plugin-sdk'
import { sessionQuotaError, sessionRateError } from './session-admission.js'
import { budgetWalk, type BudgetOptions, type MessageMeta, type Role, type SessionCursor, type SessionRow, type SessionStore } from './session-store.js'

const MIGRATIONS: SqlMigration[] = [
  {
    id: 1,
    name: 'sessions and messages',
    sql: `
CREATE TABLE chat_sessions (
  id TEXT COLLATE "C" PRIMARY KEY,
  name TEXT,
  channel TEXT NOT NULL DEFAULT 'dashboard',
  started_at TEXT COLLATE "C" NOT NULL,
  last_activity TEXT COLLATE "C" NOT NULL,
  archived_at TEXT,
  owner TEXT COLLATE "C"
);
CREATE INDEX chat_sessions_by_activity ON chat_sessions (last_activity, id);
CREATE INDEX chat_sessions_by_owner ON chat_sessions (owner, archived_at);
CREATE TABLE chat_messages (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session_id TEXT COLLATE "C" NOT NULL REFERENCES chat_sessions (id),
  role TEXT NOT NULL,
  content TEXT NOT NULL,
  attachments TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX chat_messages_by_session ON chat_messages (session_id, id);`,
  },
  {
    id: 2,
    name: 'sessions by owner and start',
    // the sessions_per_minute window reads an owner's newest starts
    sql: 'CREATE INDEX chat_sessions_by_owner_start ON chat_sessions (owner, started_at);',
  },
]

const SESSION_COLUMNS = `s.id, s.name, s.channel, s.started_at, s.last_activity, s.archived_at, s.owner,
  (SELECT COUNT(*)::int FROM chat_messages m WHERE m.session_id = s.id) AS message_count`

/** metadata rows fetched per round trip of a budgeted walk (the walk usually ends in the first) */
const SCAN_CHUNK = 256

interface MetaRow {
  id: string
  role: Role
  bytes: number
  attachments: string | null
}

export class PgSessionStore implements SessionStore {
  private closed = false

  private constructor(
    private readonly sql: SharedSqlService,
    private readonly maxOwned: number,
    private readonly perMinute: number,
  ) {}

  /**
   * Applies the chat's schema steps (once in the cluster, under the kernel's migration lock);
   * `maxOwned` is max_sessions_per_credential and `perMinute` sessions_per_minute, both enforced
   * where a caller's write creates a session.
   */
  static async open(sql: SharedSqlService, maxOwned: number, perMinute: number): Promise<PgSessionStore> {
    await sql.migrate('chat', MIGRATIONS)
    return new PgSessionStore(sql, maxOwned, perMinute)
  }

  /**
   * In `tx`: waits for `owner`'s other creations to commit, then throws 507 when it is at its cap,
   * or 429 when it started `perMinute` sessions in the last minute through any node.
   */
  private async roomFor(tx: SqlQueryable, owner: string): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('chat_sessions:' || $1, 0))`, [owner])
    const { rows } = await tx.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM chat_sessions WHERE owner = $1 AND archived_at IS NULL', [owner])
    if (rows[0].n >= this.maxOwned) throw sessionQuotaError(this.maxOwned)
    const now = Date.now()
    // started_at is an ISO string in a "C" collation column: it compares as time
    const recent = await tx.query<{ started_at: string }>(
      'SELECT started_at FROM chat_sessions WHERE owner = $1 AND started_at > $2 ORDER BY started_at LIMIT $3',
      [owner, new Date(now - 60_000).toISOString(), this.perMinute],
    )
    if (recent.rows.length >= this.perMinute) {
      // the window has room again when its oldest start is a minute old
      const retryAfter = Math.max(1, Math.ceil((Date.parse(recent.rows[0].started_at) + 60_000 - now) / 1000))
      throw sessionRateError(this.perMinute, retryAfter)
    }
  }

  /** whether session `id` exists (with `live`: and is not archived, so a message to it creates nothing) */
  private async has(id: string, live: boolean): Promise<boolean> {
    const text = `SELECT 1 FROM chat_sessions WHERE id = $1${live ? ' AND archived_at IS NULL' : ''}`
    return (await this.sql.query(text, [id])).rows.length > 0
  }

  /** the pool is the kernel's: closing only stops this store from being used */
  close(): void {
    this.closed = true
  }

  get open(): boolean {
    return !this.closed
  }

  async get(id: string): Promise<SessionRow | undefined> {
    return (await this.sql.query<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM chat_sessions s WHERE s.id = $1`, [id])).rows[0]
  }

  async ensure(id: string, channel: string, name?: string, owner?: string): Promise<SessionRow> {
    const now = new Date().toISOString()
    // a new session is created, an existing one only takes a non-empty name
    const write = (q: SqlQueryable) =>
      q.query(
        `INSERT INTO chat_sessions (id, name, channel, started_at, last_activity, owner) VALUES ($1, $2, $3, $4, $4, $5)
         ON CONFLICT (id) DO UPDATE SET name = COALESCE(NULLIF(EXCLUDED.name, ''), chat_sessions.name)`,
        [id, name ?? null, channel, now, owner ?? null],
      )
    if (owner && !(await this.has(id, false))) {
      await this.sql.transaction(async (tx) => {
        await this.roomFor(tx, owner)
        await write(tx)
      })
    } else await write(this.sql)
    return (await this.get(id))!
  }

  async append(id: string, role: Role, content: string, attachments: string[] = [], channel = 'dashboard', owner?: string): Promise<void> {
    const now = new Date().toISOString()
    // one statement: the session is created or revived and the message numbered by the identity
    // column; last_activity never moves back when a node whose clock lags writes after another
    const write = (q: SqlQueryable) =>
      q.query(
        `WITH s AS (
         INSERT INTO chat_sessions (id, channel, started_at, last_activity, owner) VALUES ($1, $2, $3, $3, $4)
         ON CONFLICT (id) DO UPDATE SET last_activity = GREATEST(chat_sessions.last_activity, EXCLUDED.last_activity), archived_at = NULL
         RETURNING id)
       INSERT INTO chat_messages (session_id, role, content, attachments, created_at) SELECT s.id, $5, $6, $7, $3 FROM s`,
        [id, channel, now, owner ?? null, role, content, attachments.length ? JSON.stringify(attachments) : null],
      )
    // a caller's message that creates or revives the session counts against its cap first
    if (owner && !(await this.has(id, true))) {
      await this.sql.transaction(async (tx) => {
        await this.roomFor(tx, owner)
        await write(tx)
      })
    } else await write(this.sql)
  }

  async newestWithin(id: string, o: BudgetOptions): Promise<MessageMeta[]> {
    const walk = budgetWalk(o)
    let before = o.before ?? Number.MAX_SAFE_INTEGER
    let left = o.limit
    while (left > 0) {
      const n = Math.min(SCAN_CHUNK, left)
      const { rows } = await this.sql.query<MetaRow>(
        `SELECT id, role, octet_length(content) AS bytes, attachments FROM chat_messages
         WHERE session_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`,
        [id, before, n],
      )
      for (const r of rows) {
        const m: MessageMeta = { id: Number(r.id), role: r.role, bytes: r.bytes, attachments: r.attachments ? JSON.parse(r.attachments) : [] }
        if (!walk.take(m)) return walk.chosen
        before = m.id
      }
      if (rows.length < n) break
      left -= n
    }
    return walk.chosen
  }

  async contentPrefix(messageId: number, maxChars: number): Promise<string> {
    const { rows } = await this.sql.query<{ c: string }>('SELECT substr(content, 1, $1) AS c FROM chat_messages WHERE id = $2', [maxChars, messageId])
    return rows[0]?.c ?? ''
  }

  async contents(messageIds: number[]): Promise<string[]> {
    if (!messageIds.length) return []
    const { rows } = await this.sql.query<{ id: string; c: string }>('SELECT id, content AS c FROM chat_messages WHERE id = ANY($1::bigint[])', [messageIds])
    const byId = new Map(rows.map((r) => [Number(r.id), r.c]))
    return messageIds.map((id) => byId.get(id) ?? '')
  }

  async hasOlder(sessionId: string, id: number): Promise<boolean> {
    return (await this.sql.query('SELECT 1 FROM chat_messages WHERE session_id = $1 AND id < $2 LIMIT 1', [sessionId, id])).rows.length > 0
  }

  async listPage(limit: number, before?: SessionCursor): Promise<{ rows: SessionRow[]; more: boolean }> {
    const { rows } = before
      ? await this.sql.query<SessionRow>(
          `SELECT ${SESSION_COLUMNS} FROM chat_sessions s WHERE s.last_activity < $1 OR (s.last_activity = $1 AND s.id < $2)
           ORDER BY s.last_activity DESC, s.id DESC LIMIT $3`,
          [before.last_activity, before.id, limit + 1],
        )
      : await this.sql.query<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM chat_sessions s ORDER BY s.last_activity DESC, s.id DESC LIMIT $1`, [limit + 1])
    const more = rows.length > limit
    return { rows: more ? rows.slice(0, limit) : rows, more }
  }

  async activeOwnedBy(owner: string): Promise<number> {
    return (await this.sql.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM chat_sessions WHERE owner = $1 AND archived_at IS NULL', [owner])).rows[0].n
  }

  async rename(id: string, name: string): Promise<boolean> {
    return (await this.sql.query('UPDATE chat_sessions SET name = $1 WHERE id = $2', [name, id])).rowCount > 0
  }

  async archive(id: string): Promise<string | null> {
    const now = new Date().toISOString()
    const { rows } = await this.sql.query<{ archived_at: string }>(
      'UPDATE chat_sessions SET archived_at = COALESCE(archived_at, $1) WHERE id = $2 RETURNING archived_at',
      [now, id],
    )
    return rows[0]?.archived_at ?? null
  }
}
