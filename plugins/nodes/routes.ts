/**
 * Nodes REST (contract §1.15): list the connected nodes, and invoke a capability and wait for the
 * node's answer — 504 at the hard limit, 500 as soon as the node goes away mid-call.
 */
import { httpError, type RouteAdder } from '@revka/plugin-sdk'
import { InvokeError, type NodeRegistry } from './registry.js'

/** what each failure means to a REST client */
const STATUS: Record<InvokeError['kind'], { status: number; code: string }> = {
  node_not_found: { status: 404, code: 'node_not_found' },
  unknown_capability: { status: 400, code: 'unknown_capability' },
  invalid_args: { status: 400, code: 'invalid_args' },
  busy: { status: 429, code: 'node_busy' },
  timeout: { status: 504, code: 'node_timeout' },
  disconnected: { status: 500, code: 'node_disconnected' },
  // the client is gone; nobody reads this, but the request must still end
  aborted: { status: 499, code: 'client_closed' },
}

/** the kernel's request timeout must not beat the invocation's own 504 */
const ROUTE_SLACK_MS = 5_000

export function addNodesRoutes(routes: RouteAdder, registry: NodeRegistry, invokeTimeoutMs: number): void {
  routes.add({
    method: 'GET',
    url: '/api/nodes',
    auth: 'bearer',
    description: '{nodes: [{node_id, capabilities: [{name, description}], capability_count}], count}',
    handler: () => {
      const nodes = registry.list().map((n) => ({
        node_id: n.nodeId,
        capabilities: n.capabilities.map((c) => ({ name: c.name, description: c.description })),
        capability_count: n.capabilities.length,
      }))
      return { nodes, count: nodes.length }
    },
  })

  routes.add({
    method: 'POST',
    url: '/api/nodes/:node_id/invoke',
    auth: 'bearer',
    timeoutMs: invokeTimeoutMs + ROUTE_SLACK_MS,
    description: 'body {capability, args?} → {call_id, success, output, error}',
    handler: async (req) => {
      const body = req.body as Record<string, unknown> | null | undefined
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw httpError(400, 'invalid_body', 'Send a JSON object: {"capability": "<name>", "args": {...}}')
      const capability = body.capability
      if (typeof capability !== 'string' || !capability) throw httpError(400, 'missing_capability', 'Missing required field: capability')
      const args = body.args === undefined || body.args === null ? {} : body.args
      try {
        return await registry.invoke(req.params.node_id, capability, args, { timeoutMs: invokeTimeoutMs, signal: req.signal })
      } catch (e) {
        if (!(e instanceof InvokeError)) throw e
        const { status, code } = STATUS[e.kind]
        // a busy node frees a slot with each answer, at the latest at the hard limit
        if (e.kind === 'busy') throw httpError(status, code, e.message, { retryAfter: Math.min(5, Math.ceil(invokeTimeoutMs / 1000)) })
        throw httpError(status, code, e.message, e.callId ? { extra: { call_id: e.callId } } : undefined)
      }
    },
  })
}
