/**
 * Click tokens (contract §2.9). A token is base64url (no padding) of `kref`, or — when a secret is
 * configured — of `kref ":" HMAC-SHA256(secret, kref)[0..8]` (8 raw bytes). A token counts as
 * signed when its decoded bytes end in `:` plus 8 bytes; with a secret, only a signed token whose
 * tag verifies (constant time) is accepted.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

const TAG_BYTES = 8
const BASE64URL = /^[A-Za-z0-9_-]{1,700}$/

export type TokenVerdict = { ok: true; kref: string; signed: boolean } | { ok: false }

export function tag(secret: string, kref: string): Buffer {
  return createHmac('sha256', secret).update(kref).digest().subarray(0, TAG_BYTES)
}

/** mint a token (for senders of tracked links, and tests) */
export function mintToken(kref: string, secret?: string): string {
  const bytes = secret ? Buffer.concat([Buffer.from(`${kref}:`), tag(secret, kref)]) : Buffer.from(kref)
  return bytes.toString('base64url')
}

export function readToken(token: string, secret: string | undefined): TokenVerdict {
  if (!BASE64URL.test(token)) return { ok: false }
  const bytes = Buffer.from(token, 'base64url')
  const looksSigned = bytes.length > TAG_BYTES && bytes[bytes.length - TAG_BYTES - 1] === 0x3a
  const krefBytes = looksSigned ? bytes.subarray(0, bytes.length - TAG_BYTES - 1) : bytes
  const kref = krefBytes.toString('utf8')
  // the kref is recorded and emitted: it must be clean text, not arbitrary bytes
  if (!kref || !Buffer.from(kref, 'utf8').equals(krefBytes) || /[\u0000-\u001f\u007f]/.test(kref)) return { ok: false }
  if (!secret) return { ok: true, kref, signed: false }
  if (!looksSigned) return { ok: false }
  const presented = bytes.subarray(bytes.length - TAG_BYTES)
  return timingSafeEqual(presented, tag(secret, kref)) ? { ok: true, kref, signed: true } : { ok: false }
}
