/**
 * Every capability of every connected node, offered to the agent as `node:<node_id>:<capability>`.
 * The list is built on each `tools` call, so a node's tools appear when it registers and vanish
 * when it leaves; a call runs through the same invoke path (and deadline) as the REST route.
 */
import type { AgentTool, Logger } from '@revka/plugin-sdk'
import { InvokeError, type NodeRegistry } from './registry.js'

/** the tool registry's rule for names; a longer or odder node id keeps its REST route only */
const TOOL_NAME = /^[a-zA-Z0-9_:.-]{1,128}$/

export function toolName(nodeId: string, capability: string): string {
  return `node:${nodeId}:${capability}`
}

export function nodeTools(registry: NodeRegistry, invokeTimeoutMs: number, log: Logger): () => AgentTool[] {
  // warn once per name, not on every turn
  const warned = new Set<string>()
  return () => {
    const tools: AgentTool[] = []
    for (const node of registry.list()) {
      for (const cap of node.capabilities) {
        const name = toolName(node.nodeId, cap.name)
        if (!TOOL_NAME.test(name)) {
          if (!warned.has(name)) {
            warned.add(name)
            log.warn(
              { node_id: node.nodeId, capability: cap.name },
              'node capability not offered to the agent: node:<id>:<capability> must match [a-zA-Z0-9_:.-]{1,128} (it stays reachable through POST /api/nodes/:node_id/invoke)',
            )
          }
          continue
        }
        const nodeId = node.nodeId
        tools.push({
          name,
          description: `[node ${nodeId}] ${cap.description}`,
          parameters: cap.parameters,
          async execute(args, ctx) {
            try {
              const r = await registry.invoke(nodeId, cap.name, args, { timeoutMs: invokeTimeoutMs, signal: ctx.signal })
              if (r.success) return { success: true, output: r.output }
              return { success: false, output: r.error ? (r.output ? `${r.error}\n${r.output}` : r.error) : r.output }
            } catch (e) {
              if (e instanceof InvokeError) return { success: false, output: `Error: ${e.message}` }
              throw e
            }
          },
        })
      }
    }
    return tools
  }
}
