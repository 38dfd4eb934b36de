/**
 * The `auth-profiles` service (contract DOMAIN.md §14): provider credentials kept encrypted by the
 * auth-profiles plugin, for other plugins to use without a key in config.toml — the agent runtime
 * reads `api_key_profile = "openai:work"` in a `[providers.<name>]` table through it. Optional by
 * nature: list it under `uses` and reach it with `api.services.find(AuthProfilesRef)`.
 */
import { serviceRef } from './service-ref.js'

/** A stored credential, decrypted. */
export interface ResolvedAuthProfile {
  /** the secret itself: keep it in memory only, never log it */
  token: string
  kind: 'token' | 'oauth'
  provider: string
  profile_name: string
  expires_at: string | null
}

/**
 * Encrypted provider credentials (`<provider>:<profile_name>`): read, store and remove them. Every
 * call is asynchronous: in cluster mode (issue 18) the profiles live in PostgreSQL, so a profile
 * created on one node resolves on every node; there a lost database rejects with httpError 503
 * `cluster_unavailable`. Read the credential when it is needed, never cache it: a deleted or
 * replaced profile must stop working at once.
 */
export interface AuthProfilesService {
  /** the decrypted credential of `id` (`<provider>:<profile_name>`), or null when there is none */
  resolve(id: string): Promise<ResolvedAuthProfile | null>
  /**
   * Store `token` as the profile `<provider>:<profile_name>`, sealed like one created over HTTP,
   * replacing the token of an existing profile of that id; returns the id. For the operator's own
   * tools in the same process (`revka onboard` keeps a pasted key this way, so the key never sits
   * in config.toml): the store's format and key stay the plugin's. Optional: a read-only store
   * leaves it out, and callers fall back to their own storage. Recorded on the audit chain.
   */
  put?(p: { provider: string; profile_name: string; token: string }): Promise<string>
  /** delete the profile `id`; false when there was none (restoring what `put` replaced) */
  remove?(id: string): Promise<boolean>
}

/** The `auth-profiles` service, for `api.services.get`/`require` (provided by the auth-profiles plugin). */
export const AuthProfilesRef = serviceRef<AuthProfilesService>('auth-profiles')
