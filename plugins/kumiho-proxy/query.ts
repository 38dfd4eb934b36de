/** Query-string readers for the proxy: one value per key, typed, refused with 400 when malformed. */
import { httpError } from '@revka/plugin-sdk'

export type Query = Record<string, unknown>

function bad(message: string): never {
  throw httpError(400, 'invalid_query', message)
}

export function str(q: Query, key: string): string | undefined {
  const v = q[key]
  if (v === undefined) return undefined
  if (typeof v !== 'string') bad(`${key} must be given once`)
  return v
}

export function required(q: Query, key: string): string {
  const v = str(q, key)?.trim()
  if (!v) throw httpError(400, 'missing_parameter', `${key} is required`)
  return v
}

export function bool(q: Query, key: string): boolean {
  const v = str(q, key)
  if (v === undefined || v === '') return false
  if (/^(true|1|yes)$/i.test(v)) return true
  if (/^(false|0|no)$/i.test(v)) return false
  return bad(`${key} must be true or false`)
}

export function int(q: Query, key: string, min: number, max: number): number | undefined {
  const v = str(q, key)
  if (v === undefined || v === '') return undefined
  if (!/^[0-9]{1,9}$/.test(v)) bad(`${key} must be a non-negative integer`)
  return Math.min(max, Math.max(min, Number(v)))
}
