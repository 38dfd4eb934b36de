/**
 * nodes — external processes and devices that lend the gateway their capabilities (contract §1.15,
 * §3.5). They connect to `/ws/nodes`, register, and answer invocations from the REST route or from
 * the agent, which sees each capability as a `node:<id>:<capability>` tool while the node is there.
 *
 * Auth: `/ws/nodes` is a bearer route. When `[nodes] auth_token` is set, the kernel also accepts
 * that token there (`extraBearer`, compared in constant time) — and paired device tokens keep
 * working too, so an operator's own client can always attach a node. Pairing being off does not
 * open the route while a node token is configured.
 */
import { ConnectionCap, DEFAULT_SOCKETS_PER_CREDENTIAL, definePlugin, KernelServices } from '@revka/plugin-sdk'
import { NodeRegistry } from './registry.js'
import { addNodesRoutes } from './routes.js'
import { authToken, readSettings } from './settings.js'
import { nodeTools } from './tools.js'
import { nodesSocketHandler } from './ws-nodes.js'

export default definePlugin({
  setup(api) {
    const settings = readSettings(api.gateway.section('nodes'))
    const invokeTimeoutMs = Math.round(settings.invokeTimeoutSecs * 1000)
    const registry = new NodeRegistry(settings)
    // one credential may hold this many sockets (more: 429 before the upgrade). The shared
    // `[nodes] auth_token` is one credential for all the nodes using it, so never below max_nodes
    const socketCap = new ConnectionCap({ what: '/ws/nodes sockets', perCredential: Math.max(DEFAULT_SOCKETS_PER_CREDENTIAL, settings.maxNodes) })

    api.routes.add({
      method: 'GET',
      url: '/ws/nodes',
      websocket: true,
      subprotocol: 'revka.nodes.v1',
      auth: 'bearer',
      // read per upgrade; a PUT /api/config change of auth_token shows here only after a restart
      extraBearer: () => authToken(api.gateway.section('nodes')),
      description: 'node registration and invocation (revka.nodes.v1)',
      admit: socketCap.admit,
      handler: socketCap.guard(nodesSocketHandler({ registry, log: api.log, checkSchema: (p) => api.services.get(KernelServices.tools).checkSchema(p) })),
    })
    addNodesRoutes(api.routes, registry, invokeTimeoutMs)

    const tools = nodeTools(registry, invokeTimeoutMs, api.log)
    api.hooks.tools.tap((list) => [...list, ...tools()])

    api.onStop(() => registry.closeAll())

    api.hooks.status.tap((doc, ctx) => {
      if (!ctx.authenticated) return doc
      doc.nodes = { connected: registry.size, max_nodes: settings.maxNodes, pending_calls: registry.pendingCount() }
      return doc
    })
  },
})
