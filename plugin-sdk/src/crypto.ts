/** Small, constant-time helpers for verifiers. */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

/** hex HMAC-SHA256 of `data` under `key` */
export function hmacSha256Hex(key: string | Buffer, data: string | Buffer): string {
  return createHmac('sha256', key).update(data).digest('hex')
}

/** hex SHA-256 */
export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

/**
 * Constant-time string equality. Both sides are hashed first so the comparison time does not
 * depend on where the strings differ nor leak the expected length.
 */
export function timingSafeEqualStr(a: string | undefined | null, b: string | undefined | null): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false
  const ha = createHash('sha256').update(a).digest()
  const hb = createHash('sha256').update(b).digest()
  return timingSafeEqual(ha, hb) && a.length === b.length
}
