/**
 * One `POST /mcp` exchange, answered by the MCP SDK's low-level `Server` over a stateless
 * `StreamableHTTPServerTransport`. Stateless on purpose: the tool list is read from the tool
 * registry at request time (node capabilities come and go), so there is no per-client state worth
 * keeping, nothing to expire, and a client reconnecting after a gateway restart just works.
 *
 * The low-level `Server` (not `McpServer`) because agent tools carry JSON Schema parameters that
 * must pass through unchanged; McpServer wants zod shapes.
 *
 * As in the reference, `initialize` and `tools/list` answer plain JSON, and a body containing a
 * `tools/call` answers SSE so `notifications/progress` can precede the result.
 *
 * This module imports the MCP SDK: it is loaded only from the plugin's `onStart`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js'
import type { AgentTool, Logger, ToolResult } from '@revka/plugin-sdk'
import type { McpSession, SessionStore } from './sessions.js'

export interface ToolSource {
  list(): Promise<AgentTool[]>
}

/** what the gateway records about each call (tool_call_start / tool_call on the event bus) */
export interface CallObserver {
  start(tool: string, sessionId: string): void
  end(tool: string, sessionId: string, durationMs: number, success: boolean): void
}

export interface McpExchange {
  tools: ToolSource
  sessions: SessionStore
  session: McpSession
  version: string
  observer?: CallObserver
  log?: Logger
}

function hasToolCall(body: unknown): boolean {
  const msgs = Array.isArray(body) ? body : [body]
  return msgs.some((m) => m && typeof m === 'object' && (m as { method?: unknown }).method === 'tools/call')
}

/** MCP requires `inputSchema.type === "object"`; agent tools' schemas almost always are. */
function inputSchema(parameters: Record<string, unknown> | undefined): { type: 'object'; [k: string]: unknown } {
  const p = parameters && typeof parameters === 'object' ? parameters : {}
  return { ...p, type: 'object' }
}

function toResult(out: ToolResult | string): ToolResult {
  if (typeof out === 'string') return { output: out, success: true }
  return { output: String(out?.output ?? ''), success: out?.success !== false }
}

function buildServer(x: McpExchange, closed: AbortSignal): Server {
  const server = new Server(
    { name: 'revka', version: x.version },
    { capabilities: { tools: {} }, instructions: 'Tools of the Revka agent runtime, including connected node capabilities (node:<id>:<capability>).' },
  )
  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const listed: Array<{ name: string; description: string; inputSchema: ReturnType<typeof inputSchema> }> = []
    for (const t of await x.tools.list()) {
      const entry = { name: t.name, description: t.description ?? '', inputSchema: inputSchema(t.parameters) }
      // The registry refuses schemas it cannot serialise, but a plugin may have changed one since.
      // The SDK serialises the whole answer at once: one such tool would fail it for every tool,
      // and the client would wait forever. Leave that one out instead.
      try {
        JSON.stringify(entry)
      } catch (e) {
        x.log?.warn(
          { tool: t.name, plugin: t.plugin, err: (e as Error)?.message },
          'REVKA_ERR_TOOL_SCHEMA: tool left out of tools/list: its schema cannot be serialised',
        )
        continue
      }
      listed.push(entry)
    }
    return { tools: listed }
  })
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const name = request.params.name
    const tool = (await x.tools.list()).find((t) => t.name === name)
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`)
    const progressToken = request.params._meta?.progressToken
    const progress = (value: number, total?: number, message?: string) => {
      if (typeof value !== 'number' || !Number.isFinite(value)) return
      const t = typeof total === 'number' && Number.isFinite(total) ? total : undefined
      const m = typeof message === 'string' ? message : undefined
      x.sessions.publish(x.session.id, {
        token: progressToken ?? null,
        progress: value,
        total: t ?? null,
        message: m ?? null,
        tool: name,
        timestamp: new Date().toISOString(),
      })
      if (progressToken === undefined || closed.aborted) return
      // sent in the handler's context, so it travels on this request's SSE stream
      extra
        .sendNotification({
          method: 'notifications/progress',
          params: { progressToken, progress: value, ...(t !== undefined ? { total: t } : {}), ...(m !== undefined ? { message: m } : {}) },
        })
        .catch(() => {
          /* the client went away; the result will not arrive either */
        })
    }
    const started = Date.now()
    x.observer?.start(name, x.session.id)
    let result: ToolResult
    try {
      const args = (request.params.arguments ?? {}) as Record<string, unknown>
      result = toResult(await tool.execute(args, { signal: AbortSignal.any([extra.signal, closed]), sessionId: x.session.id, progress }))
    } catch (e) {
      result = { output: `${name} failed: ${(e as Error)?.message ?? String(e)}`, success: false }
    }
    x.observer?.end(name, x.session.id, Date.now() - started, result.success)
    return { content: [{ type: 'text' as const, text: result.output }], isError: !result.success }
  })
  return server
}

/** Answer one POST /mcp whose body has already been read and parsed. */
export async function handleMcpPost(req: IncomingMessage, res: ServerResponse, body: unknown, x: McpExchange): Promise<void> {
  const gone = new AbortController()
  const server = buildServer(x, gone.signal)
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: !hasToolCall(body) })
  res.once('close', () => {
    // the client hung up (or the answer is complete): stop its tools and free the pair
    gone.abort(new Error('client closed the MCP request'))
    void transport.close().catch(() => {})
    void server.close().catch(() => {})
  })
  await server.connect(transport)
  await transport.handleRequest(req, res, body)
}
