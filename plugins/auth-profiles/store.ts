/**
 * The profile file: `<plugin dir>/auth-profiles.json` in the contract's shape (§14, schema_version
 * 1), every secret field sealed (sealed.ts), written atomically 0600. One gateway process owns it;
 * its writes are synchronous, so two requests never interleave a read-modify-write.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { httpError, writeFileAtomicSync } from '@revka/plugin-sdk'
import { loadOrCreateKey, open, seal } from './sealed.js'

/** profiles one install may hold: each is a credential a caller minted */
export const MAX_PROFILES = 256

export interface StoredProfile {
  provider: string
  profile_name: string
  kind: 'token' | 'oauth'
  account_id: string | null
  workspace_id: string | null
  token: string | null
  expires_at: string | null
  created_at: string
  updated_at: string
}

interface ProfileFile {
  schema_version: 1
  updated_at: string
  active_profiles: Record<string, string>
  profiles: Record<string, StoredProfile>
}

export interface Summary {
  id: string
  provider: string
  profile_name: string
  kind: 'token' | 'oauth'
  account_id: string | null
  workspace_id: string | null
  expires_at: string | null
  created_at: string
  updated_at: string
}

const empty = (): ProfileFile => ({ schema_version: 1, updated_at: new Date().toISOString(), active_profiles: {}, profiles: {} })

export class ProfileStore {
  private readonly file: string
  private readonly key: Buffer

  constructor(dir: string) {
    this.file = join(dir, 'auth-profiles.json')
    this.key = loadOrCreateKey(join(dir, 'secret.key'))
  }

  private load(): ProfileFile {
    if (!existsSync(this.file)) return empty()
    let doc: ProfileFile
    try {
      doc = JSON.parse(readFileSync(this.file, 'utf8'))
    } catch (e) {
      throw httpError(500, 'auth_store_load_failed', `auth profiles could not be read: ${(e as Error).message}`)
    }
    if (doc?.schema_version !== 1 || typeof doc.profiles !== 'object')
      throw httpError(500, 'auth_store_load_failed', 'auth profiles: unknown schema_version (this gateway reads version 1)')
    return doc
  }

  private save(doc: ProfileFile): void {
    doc.updated_at = new Date().toISOString()
    try {
      writeFileAtomicSync(this.file, JSON.stringify(doc, null, 2))
    } catch (e) {
      throw httpError(500, 'auth_store_save_failed', `auth profiles could not be saved: ${(e as Error).message}`)
    }
  }

  list(): Summary[] {
    const doc = this.load()
    return Object.entries(doc.profiles)
      .map(([id, p]) => summary(id, p))
      .sort((a, b) =>
        a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : a.profile_name < b.profile_name ? -1 : a.profile_name > b.profile_name ? 1 : 0,
      )
  }

  create(p: { provider: string; profile_name: string; token: string; account_id: string | null }): Summary {
    const doc = this.load()
    const id = `${p.provider}:${p.profile_name}`
    if (doc.profiles[id]) throw httpError(409, 'auth_profile_already_exists', `Auth profile ${id} already exists`)
    if (Object.keys(doc.profiles).length >= MAX_PROFILES)
      throw httpError(507, 'auth_profile_quota_exceeded', `At most ${MAX_PROFILES} auth profiles may be stored; delete one first`)
    const now = new Date().toISOString()
    const stored: StoredProfile = {
      provider: p.provider,
      profile_name: p.profile_name,
      kind: 'token',
      account_id: p.account_id,
      workspace_id: null,
      token: seal(this.key, p.token, id),
      expires_at: null,
      created_at: now,
      updated_at: now,
    }
    doc.profiles[id] = stored
    this.save(doc)
    return summary(id, stored)
  }

  /** create `<provider>:<profile_name>`, or replace the token of the profile of that id (the operator's tools) */
  put(p: { provider: string; profile_name: string; token: string }): Summary {
    const doc = this.load()
    const id = `${p.provider}:${p.profile_name}`
    const prev = doc.profiles[id]
    if (!prev) return this.create({ ...p, account_id: null })
    const stored: StoredProfile = { ...prev, kind: 'token', token: seal(this.key, p.token, id), expires_at: null, updated_at: new Date().toISOString() }
    doc.profiles[id] = stored
    this.save(doc)
    return summary(id, stored)
  }

  /** the plaintext token of `id`; null when there is no such profile */
  resolve(id: string): { profile: Summary; token: string | null } | null {
    const p = this.load().profiles[id]
    if (!p) return null
    if (!p.token) return { profile: summary(id, p), token: null }
    const token = open(this.key, p.token, id)
    // a value that does not open was altered, moved from another profile, or sealed with another key
    if (token === null) throw httpError(500, 'auth_store_load_failed', `auth profile ${id} cannot be decrypted with this install's key`)
    return { profile: summary(id, p), token }
  }

  delete(id: string): boolean {
    const doc = this.load()
    if (!doc.profiles[id]) return false
    delete doc.profiles[id]
    for (const [prov, active] of Object.entries(doc.active_profiles)) if (active === id) delete doc.active_profiles[prov]
    this.save(doc)
    return true
  }
}

/** what lists show of a profile: everything but the token */
export function summary(id: string, p: StoredProfile): Summary {
  return {
    id,
    provider: p.provider,
    profile_name: p.profile_name,
    kind: p.kind,
    account_id: p.account_id ?? null,
    workspace_id: p.workspace_id ?? null,
    expires_at: p.kind === 'oauth' ? (p.expires_at ?? null) : null,
    created_at: p.created_at,
    updated_at: p.updated_at,
  }
}
