/**
 * memory-graph — DOMAIN.md §9: `GET /api/memory/graph`, a 60 s route (the reference's own budget;
 * the dashboard retries 408/502/503/504). The graph is built in graph.ts from the domain store.
 */
import { domainStoreAccessor, definePlugin, domainProjects, httpError } from '@revka/plugin-sdk'
import { buildGraph, GraphStepError } from './graph.js'
import { graphParams } from './params.js'

export default definePlugin({
  setup(api) {
    const storeOf = domainStoreAccessor(api)

    api.routes.add({
      method: 'GET',
      url: '/api/memory/graph',
      auth: 'bearer',
      timeoutMs: 60_000,
      description: '?project&limit(≤500)&kinds&space&sort&search → {nodes, edges, spaces, stats}',
      handler: async (req) => {
        const store = storeOf()
        const params = graphParams(req.query, domainProjects(api.gateway).memory)
        try {
          return await buildGraph(store, params)
        } catch (e) {
          if (e instanceof GraphStepError) throw httpError(502, 'memory_graph_failed', e.message)
          throw e
        }
      },
    })
  },
})
