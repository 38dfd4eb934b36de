/**
 * Registered passkeys, in the plugin's private state (`<state>/plugins/webauthn/passkeys.db`,
 * SQLite, 0600) — never under the served workspace. A row keeps what a later assertion is checked
 * against (public key, sign counter), what the console shows (label, transports, created_at) and
 * the paired device that registered it (`device_id`): only such a passkey may sign in, and only
 * while that device is still registered.
 */
import { join } from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import { ensurePrivateFile } from '@revka/plugin-sdk'

/** passkeys per user and overall: a person has a handful of authenticators, never thousands */
export const MAX_CREDENTIALS_PER_USER = 20
export const MAX_CREDENTIALS = 1000

export interface StoredCredential {
  id: string
  user_id: string
  user_name: string
  public_key: Buffer
  counter: number
  transports: string[]
  label: string
  created_at: string
  last_used_at: string | null
  device_id: string | null
}

/** what `add` made of a new passkey: stored, its id already taken, or a cap reached */
export type AddResult = 'added' | 'exists' | 'full'

/**
 * The passkey store the ceremonies and routes use: this SQLite file on one node, PostgreSQL in
 * cluster mode (shared-credentials.ts). A method may answer at once or later, so callers await.
 */
export interface PasskeyStore {
  get(id: string): StoredCredential | undefined | Promise<StoredCredential | undefined>
  forUser(userId: string): StoredCredential[] | Promise<StoredCredential[]>
  add(c: StoredCredential): AddResult | Promise<AddResult>
  /**
   * Record a verified use: the counter moves from `from` to `to` only if it is still `from`
   * (compare-and-set). false when another verification of the same passkey got there first, or the
   * passkey is gone: the caller refuses this one, so a counter never goes backwards.
   */
  used(id: string, from: number, to: number, at: string): boolean | Promise<boolean>
  delete(id: string): boolean | Promise<boolean>
}

interface Row extends Omit<StoredCredential, 'transports'> {
  transports: string
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS credentials (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, user_name TEXT NOT NULL, public_key BLOB NOT NULL,
  counter INTEGER NOT NULL, transports TEXT NOT NULL, label TEXT NOT NULL, created_at TEXT NOT NULL,
  last_used_at TEXT, device_id TEXT);
CREATE INDEX IF NOT EXISTS credentials_user ON credentials(user_id);`

const toCredential = (r: Row): StoredCredential => ({ ...r, transports: JSON.parse(r.transports) as string[] })

export class CredentialStore implements PasskeyStore {
  private constructor(private readonly db: BetterSqlite3.Database) {}

  static async open(dir: string): Promise<CredentialStore> {
    const file = join(dir, 'passkeys.db')
    ensurePrivateFile(file)
    const { default: Database } = await import('better-sqlite3')
    const db = new Database(file)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.exec(SCHEMA)
    return new CredentialStore(db)
  }

  get(id: string): StoredCredential | undefined {
    const r = this.db.prepare('SELECT * FROM credentials WHERE id = ?').get(id) as Row | undefined
    return r && toCredential(r)
  }

  forUser(userId: string): StoredCredential[] {
    return (this.db.prepare('SELECT * FROM credentials WHERE user_id = ? ORDER BY created_at, id').all(userId) as Row[]).map(toCredential)
  }

  /** 'full' when a cap is reached, 'exists' for a taken id (the caller answers 409 to both) */
  add(c: StoredCredential): AddResult {
    if (this.get(c.id)) return 'exists'
    const perUser = (this.db.prepare('SELECT COUNT(*) AS n FROM credentials WHERE user_id = ?').get(c.user_id) as { n: number }).n
    const all = (this.db.prepare('SELECT COUNT(*) AS n FROM credentials').get() as { n: number }).n
    if (perUser >= MAX_CREDENTIALS_PER_USER || all >= MAX_CREDENTIALS) return 'full'
    this.db
      .prepare(
        `INSERT INTO credentials (id, user_id, user_name, public_key, counter, transports, label, created_at, last_used_at, device_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
      )
      .run(c.id, c.user_id, c.user_name, c.public_key, c.counter, JSON.stringify(c.transports), c.label, c.created_at, c.device_id)
    return 'added'
  }

  used(id: string, from: number, to: number, at: string): boolean {
    return this.db.prepare('UPDATE credentials SET counter = ?, last_used_at = ? WHERE id = ? AND counter = ?').run(to, at, id, from).changes > 0
  }

  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM credentials WHERE id = ?').run(id).changes > 0
  }

  close(): void {
    this.db.close()
  }
}
