/**
 * Chat attachments in cluster mode (the chat plugin uses `shared-sql`): each uploaded file is also a
 * row of `chat_attachments` on the cluster's PostgreSQL — its sidecar fields and its bytes — so a
 * file uploaded through one node is attached to a turn that runs on another (behind a load balancer
 * the upload and the chat socket rarely meet on one node). The node that received the upload keeps
 * its file; another node writes a local copy from the row the first time a turn asks for it, and
 * every lookup checks the row first, so a file deleted through any node is never used again.
 *
 * The quotas (install total and per credential) count the rows of the whole cluster: an upload is
 * refused before its body is read when its owner or the cluster is already at a quota, and counted
 * again when its row is written, under one advisory lock, so uploads racing on two nodes cannot pass
 * a quota together (a file over it is removed and the upload answered 507). A file streams to disk
 * first, so what a refused upload costs is bounded by the 25 MiB file limit.
 */
import { readFile } from 'node:fs/promises'
import type { SharedSqlService, SqlMigration, SqlQueryable } from '@revka/plugin-sdk'
import type { AttachmentMeta, SharedRows } from './files.js'
import { ownerQuotaError, totalQuotaError } from './quota.js'

const MIGRATIONS: SqlMigration[] = [
  {
    id: 1,
    name: 'attachments',
    sql: `CREATE TABLE chat_attachments (
            session_id TEXT COLLATE "C" NOT NULL,
            file_id TEXT COLLATE "C" NOT NULL,
            owner TEXT COLLATE "C",
            filename TEXT NOT NULL,
            mime TEXT NOT NULL,
            size BIGINT NOT NULL,
            created_at TEXT NOT NULL,
            data BYTEA NOT NULL,
            PRIMARY KEY (session_id, file_id));
          CREATE INDEX chat_attachments_by_owner ON chat_attachments (owner);`,
  },
]

export interface SharedQuota {
  limitBytes: number
  perCredentialBytes: number
}

interface MetaRow {
  session_id: string
  file_id: string
  filename: string
  mime: string
  size: string
  created_at: string
}

const META = 'session_id, file_id, filename, mime, size, created_at'

function meta(r: MetaRow): AttachmentMeta {
  // BIGINT comes back as a string from pg
  return { file_id: r.file_id, filename: r.filename, size: Number(r.size), mime: r.mime, session_id: r.session_id, created_at: r.created_at }
}

export class SharedAttachments implements SharedRows {
  private constructor(
    private readonly sql: SharedSqlService,
    private readonly quota: SharedQuota,
  ) {}

  static async open(sql: SharedSqlService, quota: SharedQuota): Promise<SharedAttachments> {
    await sql.migrate('chat-attachments', MIGRATIONS)
    return new SharedAttachments(sql, quota)
  }

  /** 507 when adding `bytes` for `owner` would pass a quota of the whole cluster */
  private async check(q: SqlQueryable, owner: string | null, bytes: number): Promise<void> {
    const r = await q.query<{ total: string; mine: string }>(
      `SELECT COALESCE(SUM(size), 0) AS total, COALESCE(SUM(size) FILTER (WHERE owner = $1), 0) AS mine FROM chat_attachments`,
      [owner],
    )
    if (Number(r.rows[0].total) + bytes > this.quota.limitBytes) throw totalQuotaError(this.quota.limitBytes)
    if (owner !== null && Number(r.rows[0].mine) + bytes > this.quota.perCredentialBytes) throw ownerQuotaError(this.quota.perCredentialBytes)
  }

  /** before the body is read: an owner (or a cluster) already at its quota is refused at once */
  admit(owner: string | null): Promise<void> {
    return this.check(this.sql, owner, 1)
  }

  /** the stored file at `path` becomes the cluster's; 507 (nothing written) past a quota */
  async record(m: AttachmentMeta, owner: string | null, path: string): Promise<void> {
    const data = await readFile(path)
    await this.sql.transaction(async (tx) => {
      // one lock for every upload of the cluster: the install total is one number
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('chat_attachments', 0))`)
      await this.check(tx, owner, data.length)
      await tx.query(
        `INSERT INTO chat_attachments (session_id, file_id, owner, filename, mime, size, created_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [m.session_id, m.file_id, owner, m.filename, m.mime, data.length, m.created_at, data],
      )
    })
  }

  /** the file's sidecar fields, or null when no node has it */
  async meta(sid: string, fileId: string): Promise<AttachmentMeta | null> {
    const r = await this.sql.query<MetaRow>(`SELECT ${META} FROM chat_attachments WHERE session_id = $1 AND file_id = $2`, [sid, fileId])
    return r.rows[0] ? meta(r.rows[0]) : null
  }

  async data(sid: string, fileId: string): Promise<Buffer | null> {
    const r = await this.sql.query<{ data: Buffer }>('SELECT data FROM chat_attachments WHERE session_id = $1 AND file_id = $2', [sid, fileId])
    return r.rows[0]?.data ?? null
  }

  /** the removed file's size, or null when there was none */
  async remove(sid: string, fileId: string): Promise<number | null> {
    const r = await this.sql.query<{ size: string }>('DELETE FROM chat_attachments WHERE session_id = $1 AND file_id = $2 RETURNING size', [sid, fileId])
    return r.rows[0] ? Number(r.rows[0].size) : null
  }

  /** every file of a session (archived); the bytes removed */
  async removeSession(sid: string): Promise<number> {
    const r = await this.sql.query<{ size: string }>('DELETE FROM chat_attachments WHERE session_id = $1 RETURNING size', [sid])
    return r.rows.reduce((n, x) => n + Number(x.size), 0)
  }
}
