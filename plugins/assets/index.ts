/**
 * assets — DOMAIN.md §11: the Asset Browser's 19 routes on the domain store. Every route has a
 * 2 MiB body limit and a fixed 30 s timeout; every write checks its body (fields.ts) before the
 * store sees it, and the store's refusals change nothing (its writes are transactions).
 */
import { domainStoreAccessor, definePlugin } from '@revka/plugin-sdk'
import { addArtifactRoutes } from './artifact-routes.js'
import { addBundleRoutes } from './bundle-routes.js'
import { addDependencyGraphRoute } from './dependency-graph.js'
import { addEntityRoutes } from './entity-routes.js'

export default definePlugin({
  setup(api) {
    const store = domainStoreAccessor(api)
    addEntityRoutes(api.routes, store)
    addBundleRoutes(api.routes, store)
    addDependencyGraphRoute(api.routes, store)
    addArtifactRoutes(api.routes, store, () => api.gateway.env('HOME'))
  },
})
