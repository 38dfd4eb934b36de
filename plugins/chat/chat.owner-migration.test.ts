/**
 * Sessions record their owner since issue 10 item 6. A database from before has no `owner` column:
 * it is added at start, and the old sessions (owner unknown) stay listed and open to every
 * credential, as they were; sessions created from then on belong to their creator.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { createSession, startChatKernel } from './test-support/chat-client.js'
import { upload } from './test-support/upload-client.js'

const OLD_SCHEMA = `
CREATE TABLE sessions (id TEXT PRIMARY KEY, name TEXT, channel TEXT NOT NULL DEFAULT 'dashboard',
  started_at TEXT NOT NULL, last_activity TEXT NOT NULL, archived_at TEXT);
CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL REFERENCES sessions(id),
  role TEXT NOT NULL, content TEXT NOT NULL, attachments TEXT, created_at TEXT NOT NULL);
CREATE INDEX messages_by_session ON messages(session_id, id);
`

test('an old sessions.db gains the owner column; its sessions stay open to every credential, new ones are owned', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'revka-chat-owner-'))
  try {
    const dir = join(stateDir, 'plugins', 'chat', 'sessions')
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const old = new Database(join(dir, 'sessions.db'))
    old.exec(OLD_SCHEMA)
    const now = new Date().toISOString()
    old.prepare('INSERT INTO sessions (id, name, started_at, last_activity) VALUES (?, ?, ?, ?)').run('legacy-1', 'Old one', now, now)
    old.prepare('INSERT INTO messages (session_id, role, content, created_at) VALUES (?, ?, ?, ?)').run('legacy-1', 'user', 'from before', now)
    old.close()

    const k = await startChatKernel({ stateDir })
    try {
      const auth = { authorization: `Bearer ${k.token}` }
      const list = (await k.inject({ url: '/api/sessions', headers: auth })).json()
      assert.equal(list.sessions.find((s: any) => s.id === 'legacy-1')?.message_count, 1)
      const history = (await k.inject({ url: '/api/sessions/legacy-1/messages', headers: auth })).json()
      assert.deepEqual(history.messages, [{ role: 'user', content: 'from before' }])

      const second = k.pairDevice('second').token
      assert.equal((await upload(k, { sid: 'legacy-1', content: 'first device' })).status, 201)
      assert.equal((await upload(k, { sid: 'legacy-1', content: 'second device', token: second })).status, 201)

      await createSession(k, 'after-migration')
      assert.equal((await upload(k, { sid: 'after-migration', content: 'not yours', token: second })).status, 403)
    } finally {
      await k.stop()
    }
    const migrated = new Database(join(dir, 'sessions.db'), { readonly: true })
    try {
      const columns = (migrated.prepare('PRAGMA table_info(sessions)').all() as Array<{ name: string }>).map((c) => c.name)
      assert.ok(columns.includes('owner'))
      assert.equal((migrated.prepare('SELECT owner FROM sessions WHERE id = ?').get('legacy-1') as any).owner, null)
      assert.match((migrated.prepare('SELECT owner FROM sessions WHERE id = ?').get('after-migration') as any).owner, /^device:/)
    } finally {
      migrated.close()
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true })
  }
})
