/**
 * `canvas_render`: the agent pushes content to a canvas exactly as `POST /api/canvas/:id` would,
 * so viewers see it live. Refusals come back as failed tool results the model can read.
 */
import type { AgentTool } from '@revka/plugin-sdk'
import { checkRender, isRefusal } from './render-input.js'
import { CONTENT_TYPES, MAX_CONTENT_BYTES, isStoreRefusal, type CanvasStore } from './store.js'

/** the agent's renders share one quota (tools do not know which device started the turn) */
export const AGENT_CREDENTIAL = 'agent'

export function canvasRenderTool(store: CanvasStore): AgentTool {
  return {
    name: 'canvas_render',
    description:
      'Show content on a live canvas that users watch in real time (the dashboard Canvas page, ' +
      '/ws/canvas/<canvas_id>). Each call replaces what the canvas shows; the last 50 renders are kept as history.',
    parameters: {
      type: 'object',
      properties: {
        canvas_id: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,128}$', description: 'which canvas, e.g. "default"' },
        content: { type: 'string', description: `what to show (at most ${MAX_CONTENT_BYTES} bytes)` },
        content_type: { type: 'string', enum: [...CONTENT_TYPES], description: 'how to show it (default html)' },
      },
      required: ['canvas_id', 'content'],
    },
    async execute(args) {
      const input = checkRender(args.canvas_id, args)
      if (isRefusal(input)) return { success: false, output: `Error: ${input.message}` }
      const frame = store.render(input.canvasId, input.contentType, input.content, AGENT_CREDENTIAL)
      if (isStoreRefusal(frame)) return { success: false, output: `Error: ${frame.message}` }
      return { success: true, output: `Rendered ${input.contentType} content to canvas '${input.canvasId}' (frame: ${frame.frame_id})` }
    },
  }
}
