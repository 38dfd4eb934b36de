/**
 * The query of `GET /api/memory/graph` (§9): project (default `[kumiho] memory_project`, else
 * `CognitiveMemory`), limit 1..500 (default 100), kinds csv, space (with or without the leading
 * `/`), sort `recent` | `name`, search. The contract's parameter is `search`; `q` (GATEWAY.md's
 * spelling) is read too when `search` is absent.
 */
import { httpError, isSafeSegment, parseSpacePath } from '@revka/plugin-sdk'

export const MAX_LIMIT = 500

export interface GraphParams {
  project: string
  limit: number
  kinds: string[]
  /** normalised `/Project/Space…`, or undefined */
  space?: string
  sort: 'recent' | 'name'
  search?: string
}

export function graphParams(q: Record<string, string | undefined>, defaultProject: string): GraphParams {
  const project = (q.project ?? '').trim() || defaultProject
  if (!isSafeSegment(project))
    throw httpError(400, 'kref_invalid', `Malformed project name "${project.slice(0, 100)}"`, { extra: { error_code: 'kref_invalid' } })
  let limit = 100
  if (q.limit !== undefined && q.limit !== '') {
    if (!/^[0-9]{1,6}$/.test(q.limit)) throw httpError(400, 'invalid_query', 'limit must be a positive integer')
    limit = Math.min(MAX_LIMIT, Math.max(1, Number(q.limit)))
  }
  const kinds = (q.kinds ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean)
  if (kinds.length > 64 || kinds.some((k) => !/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(k)))
    throw httpError(400, 'invalid_query', 'kinds must be a comma-separated list of kind names')
  const sort = q.sort === 'name' ? 'name' : 'recent'
  let space: string | undefined
  if (q.space && q.space.trim()) space = parseSpacePath(q.space.trim()).path
  const search = (q.search ?? q.q ?? '').trim() || undefined
  if (search && search.length > 1000) throw httpError(400, 'invalid_query', 'search is longer than 1000 characters')
  return { project, limit, kinds, space, sort, search }
}
