/**
 * `/ws/nodes` (contract §3.5 with difference no. 10). The kernel has checked Origin, the token
 * (a device token, or `[nodes] auth_token`) and the `revka.nodes.v1` subprotocol. One socket is one
 * node: `register` (again) replaces its identity, and a newer socket registering the same id takes
 * it over, closing the older one.
 */
import type { Logger, RevkaRequest, RevkaSocket } from '@revka/plugin-sdk'
import { parseNodeMessage, type SchemaCheck } from './protocol.js'
import { NodeConnection, type NodeRegistry } from './registry.js'

/** close code for a connection superseded by a newer one with the same node_id */
export const CLOSE_REPLACED = 4409
const OPEN = 1

export interface NodesWsDeps {
  registry: NodeRegistry
  log: Logger
  /** the tool registry's limits on a capability's parameters schema */
  checkSchema: SchemaCheck
}

function send(socket: RevkaSocket, message: Record<string, unknown>): void {
  if (socket.readyState !== OPEN) return
  try {
    socket.send(JSON.stringify(message))
  } catch {
    /* closed meanwhile: nothing to tell */
  }
}

export function nodesSocketHandler(deps: NodesWsDeps) {
  return (socket: RevkaSocket, _req: RevkaRequest<undefined>): void => {
    let current: NodeConnection | null = null

    const leave = (why: string) => {
      if (!current) return
      deps.registry.unregister(current, why)
      deps.log.info({ node_id: current.nodeId }, 'node unregistered')
      current = null
    }

    const onMessage = (data: Buffer, isBinary: boolean): void => {
      if (isBinary) return send(socket, { type: 'error', error: 'Binary frames are not part of revka.nodes.v1; send JSON text', code: 'binary_frame' })
      const msg = parseNodeMessage(data.toString('utf8'), deps.checkSchema)
      if (msg.type === 'refused') {
        if (msg.capability !== undefined)
          deps.log.warn(
            { node_id: current?.nodeId, capability: msg.capability, code: msg.code },
            'node register refused: a capability schema is over the tool limits',
          )
        const { type: _refused, ...why } = msg
        return send(socket, { type: 'error', ...why })
      }
      if (msg.type === 'result') {
        // a late answer (after a timeout) or one before registering has nobody waiting: ignored
        current?.settle(msg.callId, { success: msg.success, output: msg.output, error: msg.error })
        return
      }
      const conn = new NodeConnection(msg.nodeId, msg.capabilities, socket)
      const outcome = deps.registry.register(conn, current)
      if (!outcome.ok) return send(socket, { type: 'error', error: outcome.error, code: outcome.code })
      // this socket spoke for another id before: that one is gone now
      if (current && current.nodeId !== conn.nodeId) leave(`Node ${current.nodeId} re-registered as ${conn.nodeId}`)
      else if (current) current.failAll(`Node ${conn.nodeId} re-registered before answering`)
      current = conn
      if (outcome.replaced && outcome.replaced.socket !== socket) {
        try {
          outcome.replaced.socket.close(CLOSE_REPLACED, 'replaced by a newer connection for this node_id')
        } catch {}
      }
      deps.log.info({ node_id: conn.nodeId, capabilities: conn.capabilities.length }, 'node registered')
      send(socket, { type: 'registered', node_id: conn.nodeId, capabilities_count: conn.capabilities.length })
    }

    // A throw from a socket listener is an uncaught exception that ends the whole gateway: whatever
    // a node sends, it gets an error frame at worst.
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      try {
        onMessage(data, isBinary)
      } catch (e) {
        deps.log.error({ node_id: current?.nodeId, err: (e as Error)?.message }, 'REVKA_ERR_NODES_FRAME: a node frame could not be handled')
        send(socket, { type: 'error', error: 'The gateway could not handle this frame', code: 'internal_error' })
      }
    })

    socket.on('close', () => {
      leave(`Node ${current?.nodeId} disconnected before answering`)
    })
  }
}
