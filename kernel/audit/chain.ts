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
