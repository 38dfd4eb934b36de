/**
 * Reading a POST /webhook request. The body must be JSON `{"message": "<non-empty string>"}`; any
 * other shape (or no JSON at all, whatever the Content-Type) answers 400 with the reference's
 * message. `X-Session-Id` names the conversation; it is checked because it ends up in session ids,
 * event payloads and the cost ledger.
 */
import { randomUUID } from 'node:crypto'
import { httpError, type RevkaRequest } from '@revka/plugin-sdk'

const INVALID_BODY = 'Invalid JSON body. Expected: {"message": "..."}'
const SESSION_ID = /^[A-Za-z0-9._:-]{1,128}$/

export function parseWebhookBody(req: RevkaRequest<unknown>): { message: string } {
  let body = req.body
  if (body === undefined || Buffer.isBuffer(body) || typeof body === 'string') {
    // not sent as application/json: the kernel kept the bytes, parse them here
    try {
      body = JSON.parse((req.rawBody ?? Buffer.alloc(0)).toString('utf8'))
    } catch {
      throw httpError(400, 'invalid_json', INVALID_BODY)
    }
  }
  const message = (body as { message?: unknown } | null)?.message
  if (typeof message !== 'string' || !message.trim()) throw httpError(400, 'invalid_json', INVALID_BODY)
  return { message }
}

export function sessionIdFrom(req: RevkaRequest<unknown>): string {
  const raw = req.headers['x-session-id']
  if (raw === undefined) return `webhook_${randomUUID()}`
  if (typeof raw !== 'string' || !SESSION_ID.test(raw.trim())) {
    throw httpError(400, 'invalid_session_id', 'X-Session-Id must be 1–128 characters of letters, digits, ".", "_", ":" or "-"')
  }
  return `webhook_${raw.trim()}`
}
