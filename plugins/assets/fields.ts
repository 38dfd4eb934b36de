/**
 * Body checks of the asset routes. The reference's typed JSON bodies refuse a non-JSON body with
 * 415 and a missing or mistyped required field with 422; its handlers then refuse an empty
 * (after trim) required string with 400 `<label> is required`. Both are kept, as JSON errors;
 * and unlike the reference every route applies the 400 check (§11).
 */
import { httpError, isTagName, parseKref, type Metadata, type RevkaRequest } from '@revka/plugin-sdk'

export type Body = Record<string, unknown>

/** The parsed JSON object of a request (415 when not JSON, 422 when not an object). */
export function jsonBody(req: RevkaRequest): Body {
  const ct = String(req.headers['content-type'] ?? '').toLowerCase()
  if (!/^application\/(?:[a-z0-9.+-]*\+)?json\b/.test(ct))
    throw httpError(415, 'unsupported_media_type', 'Expected request with `Content-Type: application/json`')
  const b = req.body
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw httpError(422, 'invalid_body', 'The body must be a JSON object')
  return b as Body
}

/** A required string: absent or not a string → 422; empty after trim → 400. Returned trimmed. */
export function required(b: Body, key: string, label: string): string {
  const v = b[key]
  if (typeof v !== 'string') throw httpError(422, 'missing_field', `${label} is required (${key}: string)`)
  const t = v.trim()
  if (!t) throw httpError(400, 'field_required', `${label} is required`)
  return t
}

export function optional(b: Body, key: string): string | undefined {
  const v = b[key]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw httpError(422, 'invalid_field', `${key} must be a string`)
  return v
}

export function requiredBool(b: Body, key: string): boolean {
  const v = b[key]
  if (typeof v !== 'boolean') throw httpError(422, 'missing_field', `${key} is required (boolean)`)
  return v
}

export function optionalBool(b: Body, key: string): boolean {
  const v = b[key]
  if (v === undefined || v === null) return false
  if (typeof v !== 'boolean') throw httpError(422, 'invalid_field', `${key} must be a boolean`)
  return v
}

/** A kref field: required, and parsed here so a malformed one is 400 `kref_invalid` before any work. */
export function krefField(b: Body, key: string, label: string): string {
  const v = required(b, key, label)
  parseKref(v)
  return v
}

export function tagField(b: Body): string {
  const tag = required(b, 'tag', 'tag')
  if (!isTagName(tag)) throw httpError(400, 'invalid_tag', 'tag must be 1–64 letters, digits, ".", "_", ":" or "-"')
  return tag
}

/**
 * Optional metadata: a string→string map (§1.5). Numbers and booleans are stringified, lists
 * comma-joined, other JSON values serialised, as the reference's writers do.
 */
export function metadataField(b: Body): Metadata | undefined {
  const v = b.metadata
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'object' || Array.isArray(v)) throw httpError(422, 'invalid_field', 'metadata must be an object of strings')
  const out: Metadata = {}
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (val === null || val === undefined) continue
    out[k] = typeof val === 'string' ? val : Array.isArray(val) ? val.map(String).join(',') : typeof val === 'object' ? JSON.stringify(val) : String(val)
  }
  return out
}

/** Query parameters: one value each. */
export function queryStr(q: Record<string, unknown>, key: string): string | undefined {
  const v = q[key]
  if (v === undefined) return undefined
  if (typeof v !== 'string') throw httpError(400, 'invalid_query', `${key} must be given once`)
  return v
}
