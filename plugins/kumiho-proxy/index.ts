/**
 * kumiho-proxy — DOMAIN.md §10. The reference forwards `GET /api/kumiho/{*path}` to its Kumiho
 * server; here the same paths are answered by the embedded domain store (paths.ts), with the
 * status and JSON of the store: 404 `{error, error_code}` for an unknown path or entity, 400 for a
 * malformed kref or parameter. Nothing is cached, so a read right after a write sees it.
 */
import { domainStoreAccessor, definePlugin, httpError, reply } from '@revka/plugin-sdk'
import { PATHS, withAuthorDisplay } from './paths.js'

export default definePlugin({
  setup(api) {
    const storeOf = domainStoreAccessor(api)

    api.routes.add({
      method: 'GET',
      url: '/api/kumiho/*',
      auth: 'bearer',
      description:
        'read-only store paths: projects, spaces, items, revisions[/by-kref|/latest], artifacts, edges, items/fulltext-search, bundles/members, health',
      handler: async (req) => {
        const store = storeOf()
        const path = (req.params['*'] ?? '').replace(/^\/+|\/+$/g, '')
        const handler = Object.hasOwn(PATHS, path) ? PATHS[path] : undefined
        if (!handler) throw httpError(404, 'not_found', `Unknown store path: ${path.slice(0, 200)}`, { extra: { error_code: 'not_found' } })
        const body = withAuthorDisplay(await handler(store, req.query as Record<string, unknown>))
        return reply({ headers: { 'content-type': 'application/json' }, body })
      },
    })
  },
})
