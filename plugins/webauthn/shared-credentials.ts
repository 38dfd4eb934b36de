/**
 * Passkeys in cluster mode (issue 18): the cluster's PostgreSQL holds them (`webauthn_credentials`),
 * so a passkey registered through one node signs in through any other. Same rules as the SQLite
 * file (credential-store.ts):
 * - the caps (per user, overall) count the whole cluster: an add takes the row lock of
 *   `webauthn_locks` ('credentials') before it counts, so two nodes adding at once take turns and
 *   never pass a cap together;
 * - the credential id is the primary key, so the same passkey registered through two nodes at once
 *   is stored once (the other add is 'exists', never a 500);
 * - a use moves the sign counter by compare-and-set (`WHERE counter = from`): when two nodes verify
 *   the same assertion, or two assertions race, one wins and the other is refused, and the stored
 *   counter never goes backwards.
 * The sign counter is an unsigned 32-bit number, hence bigint (read back as a string by `pg`).
 */
import type { SharedSqlService, SqlMigration } from '@revka/plugin-sdk'
import { MAX_CREDENTIALS, MAX_CREDENTIALS_PER_USER, type AddResult, type PasskeyStore, type StoredCredential } from './credential-store.js'

export const WEBAUTHN_MIGRATIONS: SqlMigration[] = [
  {
    id: 1,
    name: 'webauthn_credentials, webauthn_challenges and the lock rows',
    sql: `
CREATE TABLE webauthn_credentials (
  id text PRIMARY KEY,
  user_id text NOT NULL,
  user_name text NOT NULL,
  public_key bytea NOT NULL,
  counter bigint NOT NULL,
  transports jsonb NOT NULL,
  label text NOT NULL,
  created_at text NOT NULL,
  last_used_at text,
  device_id text
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);
CREATE TABLE webauthn_challenges (
  challenge text PRIMARY KEY,
  ceremony text NOT NULL,
  user_id text,
  user_name text,
  owner text,
  expires_at bigint NOT NULL
);
CREATE INDEX webauthn_challenges_expires ON webauthn_challenges (expires_at);
CREATE TABLE webauthn_locks (name text PRIMARY KEY);
INSERT INTO webauthn_locks (name) VALUES ('credentials'), ('challenges');`,
  },
]

const COLUMNS = 'id, user_id, user_name, public_key, counter, transports, label, created_at, last_used_at, device_id'

type Row = Omit<StoredCredential, 'counter'> & { counter: string }

const toCredential = (r: Row): StoredCredential => ({ ...r, counter: Number(r.counter) })

export class SharedCredentialStore implements PasskeyStore {
  constructor(private readonly sql: SharedSqlService) {}

  async get(id: string): Promise<StoredCredential | undefined> {
    const { rows } = await this.sql.query<Row>(`SELECT ${COLUMNS} FROM webauthn_credentials WHERE id = $1`, [id])
    return rows[0] && toCredential(rows[0])
  }

  async forUser(userId: string): Promise<StoredCredential[]> {
    // byte order, as SQLite sorts text
    const { rows } = await this.sql.query<Row>(
      `SELECT ${COLUMNS} FROM webauthn_credentials WHERE user_id = $1 ORDER BY created_at COLLATE "C", id COLLATE "C"`,
      [userId],
    )
    return rows.map(toCredential)
  }

  add(c: StoredCredential): Promise<AddResult> {
    return this.sql.transaction(async (tx) => {
      await tx.query(`SELECT name FROM webauthn_locks WHERE name = 'credentials' FOR UPDATE`)
      const { rows } = await tx.query<{ taken: boolean; user_n: number; all_n: number }>(
        `SELECT EXISTS (SELECT 1 FROM webauthn_credentials WHERE id = $1) AS taken,
           count(*) FILTER (WHERE user_id = $2)::int AS user_n, count(*)::int AS all_n FROM webauthn_credentials`,
        [c.id, c.user_id],
      )
      if (rows[0].taken) return 'exists'
      if (rows[0].user_n >= MAX_CREDENTIALS_PER_USER || rows[0].all_n >= MAX_CREDENTIALS) return 'full'
      await tx.query(`INSERT INTO webauthn_credentials (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9)`, [
        c.id,
        c.user_id,
        c.user_name,
        c.public_key,
        c.counter,
        JSON.stringify(c.transports),
        c.label,
        c.created_at,
        c.device_id,
      ])
      return 'added'
    })
  }

  async used(id: string, from: number, to: number, at: string): Promise<boolean> {
    const r = await this.sql.query('UPDATE webauthn_credentials SET counter = $3, last_used_at = $4 WHERE id = $1 AND counter = $2', [id, from, to, at])
    return r.rowCount > 0
  }

  async delete(id: string): Promise<boolean> {
    return (await this.sql.query('DELETE FROM webauthn_credentials WHERE id = $1', [id])).rowCount > 0
  }
}
