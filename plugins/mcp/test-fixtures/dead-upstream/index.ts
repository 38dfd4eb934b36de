/**
 * Test fixture: the mcp plugin's own proxy routes (the same module, not a copy) aimed at an
 * upstream that was bound once and has gone away — what the gateway sees if the MCP server dies
 * under it. Loaded instead of the mcp plugin, never beside it (the routes would overlap).
 */
import { ConnectionCap, DEFAULT_STREAMS_PER_CREDENTIAL, definePlugin } from '@revka/plugin-sdk'
import { addProxyRoutes } from '../../proxy/routes.js'
import { admitEvents, eventsSocket } from '../../proxy/ws-events.js'

export default definePlugin<{ upstream_url: string }>({
  setup(api) {
    const base = () => api.config.upstream_url
    addProxyRoutes(api, {
      base,
      secret: () => 'not-the-secret',
      gatewaySession: () => ({ session: 'gateway', token: 'gateway-token' }),
      streams: new ConnectionCap({ what: 'MCP streams', perCredential: DEFAULT_STREAMS_PER_CREDENTIAL }),
    })
    api.routes.add({
      method: 'GET',
      url: '/ws/mcp/events',
      auth: 'bearer',
      websocket: true,
      subprotocol: 'revka.v1',
      admit: admitEvents(base),
      handler: eventsSocket(base),
    })
  },
})
