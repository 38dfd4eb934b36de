/**
 * Request helpers the domain route plugins (agents, skills, teams, workflows…) share, so each
 * group reads krefs, list queries and typed bodies the same way (DOMAIN.md §1.1, §1.3, §3).
 */
import { httpError } from './errors.js'
import { domainError } from './domain-errors.js'
import { KREF_SCHEME, itemKref, parseKref } from './kref.js'
import type { GatewayInfo } from './types.js'
import type { DomainStore, Item, Page } from './domain-store.js'
import { DomainStoreRef } from './domain-store.js'
import type { ServiceRef } from './service-ref.js'

/**
 * The domain store for a route plugin's handlers. The service exists once its provider started,
 * which is before this plugin's own start; a request that arrives earlier gets 503 + Retry-After
 * rather than a crash on an undefined store.
 */
export function domainStoreAccessor(api: { onStart(fn: () => void): unknown; services: { get<T>(ref: ServiceRef<T>): T } }): () => DomainStore {
  let store: DomainStore | undefined
  api.onStart(() => {
    store = api.services.get(DomainStoreRef)
  })
  return () => {
    if (!store) throw httpError(503, 'store_starting', 'The domain store is starting', { retryAfter: 1 })
    return store
  }
}

/** `[kumiho] harness_project` (default `Revka`) and `memory_project` (default `CognitiveMemory`). */
export function domainProjects(gateway: Pick<GatewayInfo, 'section'>): { harness: string; memory: string } {
  const k = gateway.section<Record<string, unknown>>('kumiho')
  const pick = (v: unknown, d: string) => (typeof v === 'string' && v.trim() ? v.trim() : d)
  return { harness: pick(k?.harness_project, 'Revka'), memory: pick(k?.memory_project, 'CognitiveMemory') }
}

/**
 * The item kref of a wildcard path parameter (already percent-decoded by the router) or a body
 * field. A leading `kref://` is accepted and never doubled — the sensible form of the §1.3 rule
 * for every group, including skills, where the reference doubles it (quirk not copied).
 * Selectors are dropped (item-level operations). Malformed → 400 `kref_invalid`.
 */
export function itemKrefParam(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0) throw domainError('kref_invalid', 'Malformed kref: empty')
  return itemKref(parseKref(raw.startsWith(KREF_SCHEME) ? raw : KREF_SCHEME + raw))
}

/** The list query parameters every domain list route accepts, parsed by `listQuery`. */
export interface ListQuery {
  include_deprecated: boolean
  q: string
  page: number
  per_page: number
  offset: number
}

/** `include_deprecated`, `q`, `page` ≥ 1 (default 1), `per_page` clamped 1..50 (default 9). Bad numbers → 400. */
export function listQuery(query: Record<string, string | undefined>, defaults = { per_page: 9, max_per_page: 50 }): ListQuery {
  const int = (name: string, v: string | undefined, d: number): number => {
    if (v === undefined || v === '') return d
    if (!/^-?\d{1,9}$/.test(v)) throw httpError(400, 'invalid_query', `${name} must be an integer`)
    return Number(v)
  }
  const page = Math.max(1, int('page', query.page, 1))
  const per_page = Math.min(defaults.max_per_page, Math.max(1, int('per_page', query.per_page, defaults.per_page)))
  return {
    include_deprecated: boolParam('include_deprecated', query.include_deprecated),
    q: (query.q ?? '').trim(),
    page,
    per_page,
    offset: (page - 1) * per_page,
  }
}

/** A query parameter as a boolean (`true`/`1`, `false`/`0`/empty/absent); anything else is a 400 `invalid_query`. */
export function boolParam(name: string, v: string | undefined): boolean {
  if (v === undefined || v === '' || v === 'false' || v === '0') return false
  if (v === 'true' || v === '1') return true
  throw httpError(400, 'invalid_query', `${name} must be true or false`)
}

/**
 * A typed JSON body (§1.1): an object, each `required` field present and a string, each
 * `optional` one absent/null or a string; `lists` absent/null or an array of strings. A missing or
 * mistyped field is 422 (`missing_field` / `invalid_field`), as Axum's typed extractor answers.
 */
export function typedBody(body: unknown, spec: { required?: string[]; optional?: string[]; lists?: string[]; bools?: string[] }): Record<string, any> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw httpError(422, 'invalid_body', 'The body must be a JSON object')
  const b = body as Record<string, unknown>
  for (const f of spec.required ?? []) {
    if (b[f] === undefined || b[f] === null) throw httpError(422, 'missing_field', `missing field \`${f}\``, { extra: { field: f } })
    if (typeof b[f] !== 'string') throw httpError(422, 'invalid_field', `${f}: expected a string`, { extra: { field: f } })
  }
  for (const f of spec.optional ?? []) {
    if (b[f] !== undefined && b[f] !== null && typeof b[f] !== 'string')
      throw httpError(422, 'invalid_field', `${f}: expected a string`, { extra: { field: f } })
  }
  for (const f of spec.lists ?? []) {
    if (b[f] !== undefined && b[f] !== null && !(Array.isArray(b[f]) && (b[f] as unknown[]).every((x) => typeof x === 'string'))) {
      throw httpError(422, 'invalid_field', `${f}: expected an array of strings`, { extra: { field: f } })
    }
  }
  for (const f of spec.bools ?? []) {
    if (b[f] === undefined || b[f] === null) throw httpError(422, 'missing_field', `missing field \`${f}\``, { extra: { field: f } })
    if (typeof b[f] !== 'boolean') throw httpError(422, 'invalid_field', `${f}: expected a boolean`, { extra: { field: f } })
  }
  return b
}

/** Comma-joined list metadata (§1.5) → trimmed, non-empty strings. */
export function csvList(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

/** One list page of a route group: full-text search when `q` is set, else the space's items by name. */
export async function itemPage(store: DomainStore, space: string, kinds: string[], q: ListQuery): Promise<Page<Item>> {
  if (!q.q) return store.listItems({ space_path: space, kinds, include_deprecated: q.include_deprecated, offset: q.offset, limit: q.per_page })
  const r = await store.search({ query: q.q, context: space, kinds, include_deprecated: q.include_deprecated, offset: q.offset, limit: q.per_page })
  return { total: r.total, items: r.items.map((h) => h.item) }
}
