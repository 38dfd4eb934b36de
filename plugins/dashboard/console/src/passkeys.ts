/**
 * Passkeys (the `webauthn` plugin): registering one from a paired browser, and signing in with one
 * instead of a pairing code. The browser's own JSON helpers (`parse…FromJSON`, `toJSON`) carry the
 * options and the response, so nothing here converts base64url by hand. The console has one user,
 * the operator, so every passkey is registered for the same user id.
 */
import { ApiError, request } from './api.js'

export const PASSKEY_USER = 'operator'

export interface PasskeyStatus {
  enabled: boolean
  sign_in: boolean
}

/** off when the plugin is disabled (its routes are absent) or the gateway cannot say */
export async function passkeyStatus(): Promise<PasskeyStatus> {
  try {
    return await request<PasskeyStatus>('/api/webauthn/status', { auth: false })
  } catch (e) {
    if (e instanceof ApiError) return { enabled: false, sign_in: false }
    throw e
  }
}

export async function registerPasskey(label: string): Promise<{ credential_id: string; label: string }> {
  const options = await request('/api/webauthn/register/start', { method: 'POST', json: { user_id: PASSKEY_USER, user_name: 'Revka operator' } })
  const cred = (await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) })) as PublicKeyCredential | null
  if (!cred) throw new Error('No passkey was created')
  return request('/api/webauthn/register/finish', { method: 'POST', json: { challenge: options.challenge, label, ...cred.toJSON() } })
}

/** a new device token for this browser, from a passkey a paired device registered */
export async function signInWithPasskey(): Promise<{ token: string; device_id: string }> {
  const options = await request('/api/webauthn/auth/start', { method: 'POST', auth: false, json: {} })
  const cred = (await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) })) as PublicKeyCredential | null
  if (!cred) throw new Error('No passkey was chosen')
  return request('/api/webauthn/auth/finish', { method: 'POST', auth: false, json: { challenge: options.challenge, ...cred.toJSON() } })
}
