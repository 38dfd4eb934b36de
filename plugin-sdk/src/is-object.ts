/**
 * The one "is this a JSON object?" check for plugins that read foreign payloads (webhook bodies,
 * frames from a node, uploaded manifests, config tables).
 */

/**
 * True for a plain object: not `null`, not an array, not a `Date` (TOML dates parse to `Date`).
 * The narrowed type is loose (`Record<string, any>`) on purpose: the payload is someone else's,
 * so check each field you read — `isObject(p) && typeof p.text === 'string'`.
 */
export function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)
}
