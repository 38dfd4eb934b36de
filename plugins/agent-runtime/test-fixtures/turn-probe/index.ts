/**
 * Test fixture: a consumer of the `agent-runtime` service, as the chat plugin is one. POST
 * /fx/agent/turn runs a turn and answers with the result (or the error's code) and every TurnEvent
 * in order. It can stop the turn after N chunks and queue a steering note after the first tool
 * result, like the WebSocket `stop` and `steer` frames would. It also contributes three tools.
 */
import { AgentRuntimeRef, definePlugin, type AgentTool, type ChatMessage, type TurnEvent } from '@revka/plugin-sdk'

interface TurnBody {
  messages: ChatMessage[]
  sessionId?: string
  timeoutMs?: number
  tools?: boolean
  source?: string
  /** abort the turn's signal once this many chunks arrived */
  stopAfterChunks?: number
  /** handed to takeSteering once the first tool result arrived */
  steerAfterToolResult?: string
  /** put this many alternating user/assistant messages of `bytes` each before `messages` (a long history without a long request) */
  fill?: { messages: number; bytes: number }
}

function filler(fill: TurnBody['fill']): ChatMessage[] {
  if (!fill) return []
  return Array.from({ length: fill.messages }, (_, i) => ({
    role: i % 2 ? 'assistant' : 'user',
    content: `#${i} ` + String.fromCharCode(97 + (i % 26)).repeat(fill.bytes),
  }))
}

const tools: AgentTool[] = [
  {
    name: 'fx_add',
    description: 'Add two numbers a and b.',
    parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
    async execute(args) {
      return { output: `sum=${Number(args.a) + Number(args.b)}`, success: true }
    },
  },
  {
    name: 'fx_wait',
    description: 'Wait ms milliseconds, honouring the turn signal.',
    parameters: { type: 'object', properties: { ms: { type: 'number' } } },
    execute: (args, ctx) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => resolve('waited'), Number(args.ms) || 0)
        ctx.signal.addEventListener(
          'abort',
          () => {
            clearTimeout(t)
            reject(new Error('aborted'))
          },
          { once: true },
        )
      }),
  },
  {
    name: 'fx_fail',
    description: 'Always throws.',
    parameters: { type: 'object', properties: {} },
    async execute() {
      throw new Error('fx_fail exploded')
    },
  },
]

export default definePlugin({
  setup(api) {
    api.hooks.tools.tap((list) => [...list, ...tools.map((t) => ({ ...t, plugin: api.id }))])

    api.routes.add({
      method: 'GET',
      url: '/fx/agent/info',
      auth: 'loopback',
      handler: () => {
        const rt = api.services.get(AgentRuntimeRef)
        return { provider: rt.provider, model: rt.model, temperature: rt.temperature, supportsImages: rt.supportsImages() }
      },
    })

    api.routes.add({
      method: 'POST',
      url: '/fx/agent/turn',
      auth: 'loopback',
      timeoutMs: 60_000,
      handler: async (req) => {
        const body = req.body as TurnBody
        const events: TurnEvent[] = []
        const stop = new AbortController()
        const steering: string[] = []
        let chunks = 0
        let steered = false
        const onEvent = (e: TurnEvent) => {
          events.push(e)
          if (e.type === 'chunk' && body.stopAfterChunks && ++chunks >= body.stopAfterChunks) stop.abort()
          if (e.type === 'tool_result' && body.steerAfterToolResult && !steered) {
            steered = true
            steering.push(body.steerAfterToolResult)
          }
        }
        try {
          const result = await api.services.get(AgentRuntimeRef).runTurn(
            {
              sessionId: body.sessionId ?? 'fx-session',
              messages: [...filler(body.fill), ...body.messages],
              signal: stop.signal,
              takeSteering: () => steering.splice(0),
              source: body.source ?? 'fx',
              tools: body.tools,
              timeoutMs: body.timeoutMs,
            },
            onEvent,
          )
          return { ok: true, result, events }
        } catch (e: any) {
          return { ok: false, error: { name: e?.name, code: e?.code, message: e?.message }, events }
        }
      },
    })
  },
})
