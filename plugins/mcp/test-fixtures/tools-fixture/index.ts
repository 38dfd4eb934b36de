/**
 * Test fixture: agent tools contributed the way any plugin contributes them (the `tools` hook).
 *   fx_echo      echoes `text` (JSON-Schema parameters pass through to MCP unchanged)
 *   fx_progress  reports `steps` progress updates, then answers
 *   fx_fail      answers a failed result
 *   node:fx:ping present only while toggled on by POST /fx/mcp/dynamic (a node capability that
 *                comes and goes)
 */
import { definePlugin, type AgentTool } from '@revka/plugin-sdk'

const tools: AgentTool[] = [
  {
    name: 'fx_echo',
    description: 'Echo the text back.',
    parameters: { type: 'object', properties: { text: { type: 'string', description: 'what to echo' } }, required: ['text'], additionalProperties: false },
    async execute(args) {
      return { output: `echo: ${String(args.text)}`, success: true }
    },
  },
  {
    name: 'fx_progress',
    description: 'Report progress `steps` times, then finish.',
    parameters: { type: 'object', properties: { steps: { type: 'integer', minimum: 1, maximum: 20 } } },
    async execute(args, ctx) {
      const steps = Number(args.steps) || 3
      for (let i = 1; i <= steps; i++) {
        await new Promise((r) => setTimeout(r, 10))
        ctx.progress?.(i, steps, `step ${i} of ${steps}`)
      }
      return `done after ${steps} steps`
    },
  },
  {
    name: 'fx_fail',
    description: 'Always fails.',
    parameters: { type: 'object', properties: {} },
    async execute() {
      return { output: 'fx_fail refused', success: false }
    },
  },
]

const dynamic: AgentTool = {
  name: 'node:fx:ping',
  description: 'A node capability that is only sometimes connected.',
  parameters: { type: 'object', properties: {} },
  async execute() {
    return 'pong'
  },
}

export default definePlugin({
  setup(api) {
    let connected = false
    api.hooks.tools.tap((list) => [...list, ...tools, ...(connected ? [dynamic] : [])])
    api.routes.add({
      method: 'POST',
      url: '/fx/mcp/dynamic',
      auth: 'loopback',
      handler: () => {
        connected = !connected
        return { connected }
      },
    })
  },
})
