/** Every `/api/assets/*` route: a 2 MiB body and a fixed 30 s timeout (the gateway timeout env var does not apply, §1.1). */
export const ASSET_LIMITS = { bodyLimit: 2 * 1024 * 1024, timeoutMs: 30_000 } as const

/** `content` of an artifact write or edit, in UTF-8 bytes (413 above). */
export const MAX_EDIT_BYTES = 1024 * 1024
