/**
 * Errors of the domain store (DOMAIN.md §1.4). They are ordinary `httpError`s, so a route that
 * lets one through answers the right status, and their body carries `error_code` next to `code`
 * because the reference dashboard reads `.error_code ?? .code`.
 */
import { httpError, isHttpError, type RevkaHttpError } from './errors.js'

/** The `code` of a domain store error; each maps to one HTTP status. */
export type DomainErrorCode =
  /** a kref or space path that does not parse (400) */
  | 'kref_invalid'
  /** a field missing or of the wrong shape, a bad name (400) */
  | 'invalid_input'
  /** no such project/space/item/revision/artifact/edge (404) */
  | 'not_found'
  /** a duplicate item, artifact name, edge… (409) */
  | 'conflict'
  /** one write larger than the store accepts (metadata bytes, artifact bytes) (413) */
  | 'too_large'
  /** a store-wide bound reached (items, revisions, bytes on disk) (507) */
  | 'quota_exceeded'

const STATUS: Record<DomainErrorCode, number> = {
  kref_invalid: 400,
  invalid_input: 400,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  quota_exceeded: 507,
}

/** Build a domain-store error: `{error, code, error_code}` with the status of `code`. */
export function domainError(code: DomainErrorCode, message: string, extra: Record<string, unknown> = {}): RevkaHttpError {
  return httpError(STATUS[code], code, message, { extra: { error_code: code, ...extra } })
}

/** True when `e` is a domain-store error with that code (works across module copies). */
export function isDomainError(e: unknown, code?: DomainErrorCode): e is RevkaHttpError {
  if (!isHttpError(e)) return false
  const ec = (e.options.extra as Record<string, unknown> | undefined)?.error_code
  return typeof ec === 'string' && ec in STATUS && (code === undefined || ec === code)
}
