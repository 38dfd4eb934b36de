/**
 * The store paths the proxy answers (§10), each mapped onto the domain-store interface. The
 * answers are the store's entities as they are: their fields already carry Kumiho's wire names.
 */
import { domainError, edgeDirection, parseSpacePath, type DomainStore } from '@revka/plugin-sdk'
import { bool, int, required, str, type Query } from './query.js'

type Handler = (store: DomainStore, q: Query) => Promise<unknown>

function found<T>(value: T | null, what: string): T {
  if (value === null) throw domainError('not_found', `${what} not found`)
  return value
}

export const PATHS: Record<string, Handler> = {
  health: async () => ({ status: 'ok', backend: 'embedded' }),

  projects: (store) => store.listProjects(),

  spaces: (store, q) => store.listSpaces({ parent_path: parseSpacePath(required(q, 'parent_path')).path, recursive: bool(q, 'recursive') }),

  items: async (store, q) =>
    (
      await store.listItems({
        space_path: parseSpacePath(required(q, 'space_path')).path,
        include_deprecated: bool(q, 'include_deprecated'),
        limit: int(q, 'limit', 1, store.limits.maxPageSize),
        offset: int(q, 'offset', 0, 1e9),
        name_filter: str(q, 'name_filter')?.trim() || undefined,
      })
    ).items,

  revisions: async (store, q) => {
    const kref = required(q, 'item_kref')
    found(await store.getItem(kref), 'item')
    return store.listRevisions(kref)
  },

  'revisions/by-kref': async (store, q) => {
    let kref = required(q, 'kref')
    // `?kref=<item>&t=tag` (or `&r=N`): the selector arrives as a separate parameter
    const t = str(q, 't')
    const r = str(q, 'r')
    if (!kref.includes('?') && (t || r)) kref += r ? `?r=${r}` : `?t=${t}`
    return found(await store.getRevision(kref), 'revision')
  },

  'revisions/latest': async (store, q) => found(await store.currentRevision(required(q, 'item_kref'), 'latest'), 'revision'),

  artifacts: async (store, q) => {
    const kref = required(q, 'revision_kref')
    found(await store.getRevision(kref), 'revision')
    return store.listArtifacts(kref)
  },

  edges: (store, q) =>
    store.listEdges({ kref: required(q, 'kref'), direction: edgeDirection(str(q, 'direction')), edge_type: str(q, 'edge_type')?.trim() || undefined }),

  'items/fulltext-search': async (store, q) => {
    const kind = str(q, 'kind')?.trim()
    return (
      await store.search({
        query: required(q, 'query'),
        context: str(q, 'context')?.trim() || undefined,
        kinds: kind ? [kind] : undefined,
        include_deprecated: bool(q, 'include_deprecated'),
        include_revision_metadata: bool(q, 'include_revision_metadata'),
        limit: int(q, 'limit', 1, store.limits.maxPageSize),
      })
    ).items
  },

  'bundles/members': async (store, q) => {
    const kref = required(q, 'bundle_kref')
    found(await store.getItem(kref), 'bundle')
    return store.listBundleMembers(kref)
  },
}

/** `author_display` on every object that has `author` or `username` (§1.5), at any depth. */
export function withAuthorDisplay(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withAuthorDisplay)
  if (!value || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = k === 'metadata' ? v : withAuthorDisplay(v)
  const o = value as Record<string, unknown>
  if ((o.author !== undefined || o.username !== undefined) && o.author_display === undefined) out.author_display = o.author ?? o.username ?? null
  return out
}
