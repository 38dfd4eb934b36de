/**
 * Running one tool call for the model. Nothing the model asks for can crash the turn: an unknown
 * tool, arguments that are not a JSON object, or a tool that throws all become a failed tool result
 * the model can read and recover from. Only stop/timeout interrupts, and it does not wait for a tool
 * that ignores its signal.
 */
import type { AgentTool, EventBus, Logger, ToolCallRequest, ToolResult, TurnEvent } from '@revka/plugin-sdk'

export interface ToolRunContext {
  tools: Map<string, AgentTool>
  events: EventBus
  signal: AbortSignal
  sessionId: string
  onEvent: (e: TurnEvent) => void
  clock: () => number
}

/**
 * The registered tools a turn may offer the model. Every turn serialises every tool's schema
 * (token estimate, provider request): one that cannot be serialised — the registry refuses those,
 * but a plugin may have changed a schema in place since — would fail the turn for every tool, so
 * it is left out here with a log line instead.
 */
export function offerableTools(tools: AgentTool[], log: Logger): AgentTool[] {
  return tools.filter((t) => {
    try {
      JSON.stringify(t.parameters)
      return true
    } catch (e) {
      log.warn(
        { tool: t.name, plugin: t.plugin, err: (e as Error)?.message },
        'REVKA_ERR_TOOL_SCHEMA: tool not offered to this turn: its schema cannot be serialised',
      )
      return false
    }
  })
}

/** Thrown out of `runToolCall` when the turn was stopped or timed out while the tool ran. */
export class TurnInterrupted extends Error {
  constructor() {
    super('turn interrupted')
  }
}

function parseArgs(text: string): { ok: true; args: Record<string, unknown> } | { ok: false; error: string } {
  const src = text.trim() === '' ? '{}' : text
  let v: unknown
  try {
    v = JSON.parse(src)
  } catch (e) {
    return { ok: false, error: `the arguments are not valid JSON (${(e as Error).message})` }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, error: 'the arguments must be a JSON object' }
  return { ok: true, args: v as Record<string, unknown> }
}

/** Resolve with the tool's promise, or reject as soon as the turn's signal aborts. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new TurnInterrupted())
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new TurnInterrupted())
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function normalise(r: ToolResult | string | unknown): ToolResult {
  if (typeof r === 'string') return { output: r, success: true }
  if (r && typeof r === 'object' && 'output' in r) {
    const o = r as ToolResult
    return { output: typeof o.output === 'string' ? o.output : JSON.stringify(o.output), success: o.success !== false }
  }
  return { output: r === undefined ? '' : JSON.stringify(r), success: true }
}

export async function runToolCall(call: ToolCallRequest, ctx: ToolRunContext): Promise<ToolResult> {
  const parsed = parseArgs(call.arguments)
  ctx.onEvent({ type: 'tool_call', id: call.id, name: call.name, args: parsed.ok ? parsed.args : call.arguments })
  ctx.events.emit('tool_call_start', { tool: call.name, session_id: ctx.sessionId })
  const started = ctx.clock()
  let result: ToolResult
  const tool = ctx.tools.get(call.name)
  if (!tool) {
    const known = [...ctx.tools.keys()].join(', ') || 'none'
    result = { output: `Error: there is no tool named "${call.name}". Available tools: ${known}.`, success: false }
  } else if (!parsed.ok) {
    result = { output: `Error: ${call.name} was not run because ${parsed.error}. Send the arguments as a JSON object.`, success: false }
  } else {
    try {
      result = normalise(
        await untilAborted(
          Promise.resolve().then(() => tool.execute(parsed.args, { signal: ctx.signal, sessionId: ctx.sessionId })),
          ctx.signal,
        ),
      )
    } catch (e) {
      if (e instanceof TurnInterrupted || ctx.signal.aborted) {
        ctx.events.emit('tool_call', { tool: call.name, duration_ms: ctx.clock() - started, success: false, session_id: ctx.sessionId })
        throw new TurnInterrupted()
      }
      result = { output: `Error: ${call.name} failed: ${(e as Error)?.message ?? String(e)}`, success: false }
    }
  }
  ctx.events.emit('tool_call', { tool: call.name, duration_ms: ctx.clock() - started, success: result.success, session_id: ctx.sessionId })
  ctx.onEvent({ type: 'tool_result', id: call.id, name: call.name, output: result.output, success: result.success })
  return result
}
