/**
 * The hash chain of the audit log (contract DOMAIN.md §18): `entry_hash = hex(SHA-256(prev_hash ‖
 * canonical_json))`, where canonical_json is compact JSON of exactly the eight hashed fields with
 * keys sorted at every level and nulls kept, and the optional `signature = hex(HMAC-SHA256(key,
 * entry_hash))`. Shared by the writer, the verifier and `revka audit verify`, so all three agree.
 */
import { createHash, createHmac } from 'node:crypto'
import type { AuditEvent } from '@revka/plugin-sdk'

export const GENESIS_HASH = '0'.repeat(64)
const HASHED = ['action', 'actor', 'event_id', 'event_type', 'result', 'security', 'sequence', 'timestamp'] as const

/** compact JSON with object keys sorted at every level (serde_json without preserve_order) */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null)
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  const o = v as Record<string, unknown>
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`
}

export function entryHash(prevHash: string, e: Pick<AuditEvent, (typeof HASHED)[number]>): string {
  const body: Record<string, unknown> = {}
  for (const k of HASHED) body[k] = e[k] ?? null
  return createHash('sha256').update(prevHash).update(canonicalJson(body)).digest('hex')
}

export function signatureOf(key: Buffer, hash: string): string {
  return createHmac('sha256', key).update(hash).digest('hex')
}

/** an entry before the chain gives it its place */
export type Unchained = Omit<AuditEvent, 'sequence' | 'prev_hash' | 'entry_hash' | 'signature'>

/** `e` as entry `sequence` after `prevHash`: hashed and, with a key, signed (the file's writer and the cluster's chain) */
export function chainEntry(e: Unchained, sequence: number, prevHash: string, key: Buffer | null): AuditEvent {
  const base = { ...e, sequence, prev_hash: prevHash }
  const hash = entryHash(prevHash, base)
  const out: AuditEvent = { ...base, entry_hash: hash }
  if (key) out.signature = signatureOf(key, hash)
  return out
}

/** where a verifier stands: the last good entry (null before the first) and how many were signed */
export interface ChainCursor {
  seq: number | null
  hash: string | null
  signed: number
}

/**
 * What is wrong with `e` as the entry after `at`, or null. The first entry (`at.seq` null) is not
 * linked: the caller decides what it must follow. With a key, an unsigned entry after signed ones
 * is a failure: stripping signatures is tampering too.
 */
export function linkError(e: any, at: ChainCursor, key: Buffer | null): string | null {
  if (!e || typeof e !== 'object' || !Number.isSafeInteger(e.sequence) || typeof e.prev_hash !== 'string' || typeof e.entry_hash !== 'string')
    return 'malformed entry'
  if (at.seq !== null) {
    if (e.sequence !== at.seq + 1) return `sequence gap (expected ${at.seq + 1}, found ${e.sequence})`
    if (e.prev_hash !== at.hash) return `prev_hash mismatch (entry ${e.sequence})`
  }
  if (entryHash(e.prev_hash, e) !== e.entry_hash) return `entry_hash mismatch (entry ${e.sequence})`
  if (key) {
    if (typeof e.signature === 'string') {
      if (signatureOf(key, e.entry_hash) !== e.signature) return `signature verification failed (entry ${e.sequence})`
    } else if (at.signed > 0) return `unsigned entry after signed ones (entry ${e.sequence})`
  }
  return null
}

/**
 * A line the chain can continue from: a JSON object with a whole `sequence` and a 64-hex
 * `entry_hash`. Anything else (a torn write, a hand edit) is not.
 */
export function chainPoint(line: string): { sequence: number; entryHash: string } | null {
  let e: any
  try {
    e = JSON.parse(line)
  } catch {
    return null
  }
  if (!e || typeof e !== 'object' || !Number.isSafeInteger(e.sequence) || e.sequence < 0) return null
  if (typeof e.entry_hash !== 'string' || !/^[0-9a-f]{64}$/.test(e.entry_hash)) return null
  return { sequence: e.sequence, entryHash: e.entry_hash }
}
