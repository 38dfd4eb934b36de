/**
 * Signed, expiring URLs: `?exp=<unix seconds>&sig=<hex HMAC-SHA256(service token, subject + "\n" + exp)>`.
 * The subject is the path (without the path prefix), or the route's wildcard part for routes declared
 * with `signed: { subject: 'wildcard' }` (the reference's `/workspace/{*path}` signs the relative path).
 */
import { hmacSha256Hex, timingSafeEqualStr } from '@revka/plugin-sdk'
import type { Clock } from './limiter.js'

export function signSubject(key: string, subject: string, exp: number): string {
  return hmacSha256Hex(key, `${subject}\n${exp}`)
}

export function signUrl(key: string, clock: Clock, path: string, ttlSecs = 3600, subject?: string): string {
  if (!Number.isFinite(ttlSecs) || ttlSecs <= 0) throw new Error('REVKA_ERR_SIGN_TTL: ttlSecs must be a positive number')
  const exp = Math.floor(clock() / 1000) + Math.ceil(ttlSecs)
  const sig = signSubject(key, subject ?? path, exp)
  const sep = path.includes('?') ? '&' : '?'
  return `${path}${sep}exp=${exp}&sig=${sig}`
}

export type SignedVerdict = { ok: true } | { ok: false; reason: 'missing exp' | 'missing sig' | 'expired' | 'bad signature' }

export function verifySigned(key: string, clock: Clock, subject: string, exp: string | undefined, sig: string | undefined): SignedVerdict {
  if (!exp) return { ok: false, reason: 'missing exp' }
  if (!sig) return { ok: false, reason: 'missing sig' }
  if (!/^\d{1,12}$/.test(exp)) return { ok: false, reason: 'bad signature' }
  if (Number(exp) < Math.floor(clock() / 1000)) return { ok: false, reason: 'expired' }
  if (!key || !timingSafeEqualStr(sig.toLowerCase(), signSubject(key, subject, Number(exp)))) return { ok: false, reason: 'bad signature' }
  return { ok: true }
}
