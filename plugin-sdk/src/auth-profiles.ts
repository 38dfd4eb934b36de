/**
 * The `auth-profiles` service (contract DOMAIN.md §14): provider credentials kept encrypted by the
 * auth-profiles plugin, for other plugins to use without a key in config.toml — the agent runtime
 * reads `api_key_profile = "openai:work"` in a `[providers.<name>]` table through it. Optional by
 * nature: list it under `uses` and reach it with `api.services.find(AuthProfilesRef)`.
 */
import { serviceRef } from './service-ref.js'

export interface ResolvedAuthProfile {
  /** the secret itself: keep it in memory only, never log it */
  token: string
  kind: 'token' | 'oauth'
  provider: string
  profile_name: string
  expires_at: string | null
}

export interface AuthProfilesService {
  /** the decrypted credential of `id` (`<provider>:<profile_name>`), or null when there is none */
  resolve(id: string): ResolvedAuthProfile | null
}

export const AuthProfilesRef = serviceRef<AuthProfilesService>('auth-profiles')
