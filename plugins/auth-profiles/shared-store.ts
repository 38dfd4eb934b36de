/**
 * Auth profiles in cluster mode (issue 18): the profiles live in the cluster's PostgreSQL
 * (`auth_profiles_profiles`), so a profile created on one node lists and resolves on every node.
 * The tokens are sealed exactly as in the file (sealed.ts, the profile id as associated data) with
 * a key every node is given from outside the database (cluster-key.ts): a copy of the database
 * alone opens nothing.
 *
 * The quota counts the whole cluster: a create takes the row lock of `auth_profiles_quota` before
 * it counts, so two nodes creating at once take turns and never pass MAX_PROFILES together. The
 * database enforces one profile per (provider, profile_name).
 */
import { httpError, type SharedSqlService, type SqlQueryable } from '@revka/plugin-sdk'
import { open, seal } from './sealed.js'
import { MAX_PROFILES, summary as summaryOf, type Summary } from './store.js'

export const PROFILE_MIGRATIONS = [
  {
    id: 1,
    name: 'auth_profiles_profiles and the quota lock row',
    sql: `
CREATE TABLE auth_profiles_profiles (
  id text PRIMARY KEY,
  provider text NOT NULL,
  profile_name text NOT NULL,
  kind text NOT NULL,
  account_id text,
  workspace_id text,
  token text,
  expires_at text,
  created_at text NOT NULL,
  updated_at text NOT NULL,
  UNIQUE (provider, profile_name)
);
CREATE TABLE auth_profiles_quota (one boolean PRIMARY KEY DEFAULT true CHECK (one));
INSERT INTO auth_profiles_quota DEFAULT VALUES;
CREATE TABLE auth_profiles_key_check (one boolean PRIMARY KEY DEFAULT true CHECK (one), sealed text NOT NULL);`,
  },
]

const COLUMNS = 'id, provider, profile_name, kind, account_id, workspace_id, expires_at, created_at, updated_at'
/** what the key check seals: a known value, so a node with another key is refused at start */
const CHECK_TEXT = 'revka auth-profiles cluster key'
const CHECK_AAD = 'key-check'

type Row = Summary & { token: string | null }

const summary = (r: Row) => summaryOf(r.id, r)

export class SharedProfileStore {
  constructor(
    private readonly sql: SharedSqlService,
    private readonly key: Buffer,
  ) {}

  /**
   * Create the tables, then prove this node's key is the cluster's: the first node seals a known
   * value, the others must open it. False when it does not open (the node must not start).
   */
  async open(): Promise<boolean> {
    await this.sql.migrate('auth-profiles', PROFILE_MIGRATIONS)
    await this.sql.query('INSERT INTO auth_profiles_key_check (sealed) VALUES ($1) ON CONFLICT (one) DO NOTHING', [seal(this.key, CHECK_TEXT, CHECK_AAD)])
    const { rows } = await this.sql.query<{ sealed: string }>('SELECT sealed FROM auth_profiles_key_check')
    return open(this.key, rows[0].sealed, CHECK_AAD) === CHECK_TEXT
  }

  async list(): Promise<Summary[]> {
    // byte order, as the file store sorts (JavaScript string comparison)
    const { rows } = await this.sql.query<Row>(
      `SELECT ${COLUMNS}, NULL AS token FROM auth_profiles_profiles ORDER BY provider COLLATE "C", profile_name COLLATE "C"`,
    )
    return rows.map(summary)
  }

  create(p: { provider: string; profile_name: string; token: string; account_id: string | null }): Promise<Summary> {
    return this.sql.transaction(async (tx) => {
      await tx.query('SELECT one FROM auth_profiles_quota FOR UPDATE')
      const id = `${p.provider}:${p.profile_name}`
      if ((await tx.query('SELECT 1 FROM auth_profiles_profiles WHERE id = $1', [id])).rowCount)
        throw httpError(409, 'auth_profile_already_exists', `Auth profile ${id} already exists`)
      return this.insert(tx, p)
    })
  }

  /** create `<provider>:<profile_name>`, or replace the token of the profile of that id */
  put(p: { provider: string; profile_name: string; token: string }): Promise<Summary> {
    return this.sql.transaction(async (tx) => {
      await tx.query('SELECT one FROM auth_profiles_quota FOR UPDATE')
      const id = `${p.provider}:${p.profile_name}`
      const { rows } = await tx.query<Row>(
        `UPDATE auth_profiles_profiles SET kind = 'token', token = $2, expires_at = NULL, updated_at = $3 WHERE id = $1 RETURNING ${COLUMNS}, token`,
        [id, seal(this.key, p.token, id), new Date().toISOString()],
      )
      return rows.length ? summary(rows[0]) : this.insert(tx, { ...p, account_id: null })
    })
  }

  /** under the quota lock: count the cluster's profiles, then insert */
  private async insert(tx: SqlQueryable, p: { provider: string; profile_name: string; token: string; account_id: string | null }): Promise<Summary> {
    const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM auth_profiles_profiles')
    if (rows[0].n >= MAX_PROFILES) throw httpError(507, 'auth_profile_quota_exceeded', `At most ${MAX_PROFILES} auth profiles may be stored; delete one first`)
    const id = `${p.provider}:${p.profile_name}`
    const now = new Date().toISOString()
    const row: Row = {
      id,
      provider: p.provider,
      profile_name: p.profile_name,
      kind: 'token',
      account_id: p.account_id,
      workspace_id: null,
      expires_at: null,
      created_at: now,
      updated_at: now,
      token: seal(this.key, p.token, id),
    }
    await tx.query(`INSERT INTO auth_profiles_profiles (${COLUMNS}, token) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
      row.id,
      row.provider,
      row.profile_name,
      row.kind,
      row.account_id,
      row.workspace_id,
      row.expires_at,
      row.created_at,
      row.updated_at,
      row.token,
    ])
    return summary(row)
  }

  /** the plaintext token of `id`; null when there is no such profile */
  async resolve(id: string): Promise<{ profile: Summary; token: string | null } | null> {
    const { rows } = await this.sql.query<Row>(`SELECT ${COLUMNS}, token FROM auth_profiles_profiles WHERE id = $1`, [id])
    const r = rows[0]
    if (!r) return null
    if (!r.token) return { profile: summary(r), token: null }
    const token = open(this.key, r.token, id)
    if (token === null) throw httpError(500, 'auth_store_load_failed', `auth profile ${id} cannot be decrypted with this cluster's key`)
    return { profile: summary(r), token }
  }

  async delete(id: string): Promise<boolean> {
    return (await this.sql.query('DELETE FROM auth_profiles_profiles WHERE id = $1', [id])).rowCount > 0
  }
}
