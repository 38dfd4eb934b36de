/**
 * A session store that cannot be reached (cluster mode: PostgreSQL lost, the `shared-sql` 503
 * `cluster_unavailable`) is a refusal the client can retry, not an agent failure: over HTTP the
 * 503 goes through as it is; on `/ws/chat` it becomes this error frame, with the same retry hint.
 */
import { isHttpError, type RevkaHttpError } from '@revka/plugin-sdk'

export const UNAVAILABLE_CODE = 'CLUSTER_UNAVAILABLE'

/** true for the store's "cannot be reached right now" (any other failure is a fault) */
export function isUnavailable(e: unknown): e is RevkaHttpError {
  return isHttpError(e) && e.statusCode === 503
}

export function unavailableFrame(e: RevkaHttpError): Record<string, unknown> {
  const retryAfter = e.options.retryAfter
  return { type: 'error', code: UNAVAILABLE_CODE, message: e.message, ...(retryAfter ? { retry_after: retryAfter } : {}) }
}
