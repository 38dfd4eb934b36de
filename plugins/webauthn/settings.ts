/**
 * `[security.webauthn]`: whether the routes answer, the relying party (rp_id, rp_origin, rp_name)
 * and whether a passkey may sign in. An origin whose host is not the rp_id (or a subdomain of it)
 * could never produce a valid assertion, so it is refused at start with the reason rather than
 * failing every ceremony later.
 */
export interface WebauthnSettings {
  enabled: boolean
  rpId: string
  rpOrigin: string
  rpName: string
  allowSignIn: boolean
}

interface Section {
  enabled?: unknown
  rp_id?: unknown
  rp_origin?: unknown
  rp_name?: unknown
  allow_sign_in?: unknown
}

export function readSettings(section: Section | undefined, optionEnabled: boolean | undefined): WebauthnSettings {
  const s = section ?? {}
  const enabled = s.enabled === true || optionEnabled === true
  const rpId = typeof s.rp_id === 'string' && s.rp_id ? s.rp_id : 'localhost'
  const rpOrigin = typeof s.rp_origin === 'string' && s.rp_origin ? s.rp_origin : `https://${rpId}`
  const rpName = typeof s.rp_name === 'string' && s.rp_name ? s.rp_name : 'Revka'
  if (enabled) checkOrigin(rpId, rpOrigin)
  return { enabled, rpId, rpOrigin, rpName, allowSignIn: enabled && s.allow_sign_in === true }
}

function checkOrigin(rpId: string, rpOrigin: string): void {
  let url: URL
  try {
    url = new URL(rpOrigin)
  } catch {
    throw new Error(`REVKA_ERR_WEBAUTHN_ORIGIN: [security.webauthn] rp_origin "${rpOrigin}" is not a URL`)
  }
  if (url.origin !== rpOrigin.replace(/\/$/, '')) {
    throw new Error(`REVKA_ERR_WEBAUTHN_ORIGIN: [security.webauthn] rp_origin "${rpOrigin}" must be a bare origin (scheme://host[:port])`)
  }
  const host = url.hostname
  if (host !== rpId && !host.endsWith(`.${rpId}`)) {
    throw new Error(
      `REVKA_ERR_WEBAUTHN_ORIGIN: [security.webauthn] rp_origin "${rpOrigin}" does not match rp_id "${rpId}": the origin's host must be the rp_id or a subdomain of it`,
    )
  }
  // browsers offer WebAuthn only in a secure context: https, or http on localhost
  if (url.protocol !== 'https:' && host !== 'localhost') {
    throw new Error(`REVKA_ERR_WEBAUTHN_ORIGIN: [security.webauthn] rp_origin "${rpOrigin}" must be https (plain http only for localhost)`)
  }
}
