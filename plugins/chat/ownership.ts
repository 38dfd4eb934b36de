/**
 * Whose session is it. A session records the credential key that created it (`ownerOf`): a paired
 * device by its device id, so a rotated token keeps its sessions; the service token, a route token
 * or pairing-off each count as one credential. Attachments (upload, delete) and archiving are for
 * the owner only; sessions created before ownership was recorded have no owner and stay open to
 * every caller, as they were.
 */
import { credentialKey, httpError, type AuthContext } from '@revka/plugin-sdk'
import type { SessionRow, SessionStore } from './session-store.js'

export function ownerOf(auth: AuthContext): string {
  return credentialKey(auth)
}

/** The session `sid` if it exists and the caller may change it; else 404 (unknown) or 403 (someone else's). */
export async function ownedSession(store: SessionStore, sid: string, auth: AuthContext): Promise<SessionRow> {
  const row = await store.get(sid)
  if (!row) throw httpError(404, 'session_not_found', 'Session not found: open it over /ws/chat first')
  if (row.owner !== null && row.owner !== ownerOf(auth)) {
    throw httpError(403, 'session_not_owned', 'This session belongs to another device or token')
  }
  return row
}
