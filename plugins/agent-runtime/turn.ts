/**
 * The turn loop (contract §3.1): call the model, run the tools it asks for, feed the results back,
 * and repeat until it answers — at most `max_tool_iterations` rounds of tools, after which the model
 * gets one last call with tools forbidden so the user still receives an answer. Steering notes join
 * between iterations; stop and the turn timeout end the turn with what was produced so far.
 */
import {
  AgentTurnError,
  type AgentTool,
  type ChatMessage,
  type EventBus,
  type Logger,
  type TurnEvent,
  type TurnRequest,
  type TurnResult,
} from '@revka/plugin-sdk'
import { fitContext } from './context-budget.js'
import { callModel, type ModelRoute } from './model-call.js'
import type { ToolSpec } from './provider.js'
import { ProviderError } from './provider-errors.js'
import type { RuntimeSettings } from './settings.js'
import { runToolCall, TurnInterrupted } from './tool-runner.js'

export const STEERING_PREFIX = '[Steering note during active turn]\n'

export interface TurnDeps {
  settings: RuntimeSettings
  /** the default provider, then fallback_providers */
  routes: ModelRoute[]
  listTools: () => Promise<AgentTool[]>
  events: EventBus
  log: Logger
}

function toAgentError(e: unknown): AgentTurnError {
  if (e instanceof AgentTurnError || (e as any)?.name === 'AgentTurnError') return e as AgentTurnError
  if (e instanceof ProviderError) return new AgentTurnError(e.kind === 'auth' ? 'AUTH_ERROR' : 'PROVIDER_ERROR', e.explained)
  return new AgentTurnError('AGENT_ERROR', (e as Error)?.message ?? String(e))
}

export async function runTurn(deps: TurnDeps, req: TurnRequest, onEventRaw: (e: TurnEvent) => void): Promise<TurnResult> {
  const { settings, events } = deps
  const sessionId = req.sessionId
  // a request's model applies to the default provider; fallbacks keep their own
  const routes = deps.routes.map((r, i) => (i === 0 && req.model ? { ...r, model: req.model } : r))
  // the result names whoever answered last (a fallback, if the default one failed)
  const ids = { provider: routes[0].provider.name, model: routes[0].model }
  const started = Date.now()
  // a consumer whose socket went away must not take the turn (and its tools) down with it
  const onEvent = (e: TurnEvent) => {
    try {
      onEventRaw(e)
    } catch (err) {
      deps.log.warn({ err: (err as Error).message, session_id: sessionId }, 'turn event consumer threw')
    }
  }

  events.emit('agent_start', { ...ids, session_id: sessionId })
  const turn = new AbortController()
  let timedOut = false
  const timeoutMs = req.timeoutMs ?? settings.turnTimeoutMs
  const timer = setTimeout(() => {
    timedOut = true
    turn.abort(new Error(`turn timed out after ${timeoutMs} ms`))
  }, timeoutMs)
  const onStop = () => turn.abort(new Error('turn stopped'))
  req.signal.addEventListener('abort', onStop, { once: true })
  if (req.signal.aborted) onStop()

  const usage = { input_tokens: 0, output_tokens: 0 }
  let cost = 0
  const added: ChatMessage[] = []
  let content = ''
  try {
    const offered = req.tools === false || settings.maxToolIterations === 0 ? [] : await deps.listTools()
    const allowed = req.allowedTools?.length ? new Set(req.allowedTools) : undefined
    const registered = allowed ? offered.filter((t) => allowed.has(t.name)) : offered
    const byName = new Map(registered.map((t) => [t.name, t]))
    const specs: ToolSpec[] = registered.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters }))
    const convo = [...req.messages]
    let rounds = 0

    for (let iteration = 0; !turn.signal.aborted; iteration++) {
      if (iteration > 0) {
        for (const note of req.takeSteering?.() ?? []) if (note.trim()) convo.push({ role: 'user', content: STEERING_PREFIX + note })
      }
      const capped = rounds >= settings.maxToolIterations
      if (capped && specs.length)
        onEvent({
          type: 'status',
          phase: 'tool_limit',
          detail: `max_tool_iterations (${settings.maxToolIterations}) reached; asking for an answer without tools`,
        })
      const out = await callModel({
        // every request within the context budget, however long the history or the tool rounds
        routes,
        temperature: settings.temperature,
        messages: fitContext(convo),
        tools: specs,
        toolChoice: capped ? 'none' : 'auto',
        signal: turn.signal,
        sessionId,
        events,
        onEvent,
      })
      usage.input_tokens += out.input_tokens
      usage.output_tokens += out.output_tokens
      cost += out.cost_usd
      ids.provider = out.provider
      ids.model = out.model
      content = out.text
      if (out.interrupted || !out.toolCalls.length || capped) {
        if (!out.interrupted && capped && out.toolCalls.length && !content) {
          content = `I stopped after ${settings.maxToolIterations} ${settings.maxToolIterations === 1 ? 'round' : 'rounds'} of tool calls (max_tool_iterations) without reaching an answer.`
          onEvent({ type: 'chunk', content })
        }
        if (content) added.push({ role: 'assistant', content })
        break
      }

      const request: ChatMessage = { role: 'assistant', content: out.text, tool_calls: out.toolCalls }
      convo.push(request)
      added.push(request)
      let answered = 0
      try {
        for (const call of out.toolCalls) {
          const r = await runToolCall(call, { tools: byName, events, signal: turn.signal, sessionId, onEvent, clock: Date.now })
          const msg: ChatMessage = { role: 'tool', tool_call_id: call.id, name: call.name, content: r.output }
          convo.push(msg)
          added.push(msg)
          answered++
        }
      } catch (e) {
        if (!(e instanceof TurnInterrupted)) throw e
        // every tool call needs an answer, or the saved history is one no provider will accept
        for (const call of out.toolCalls.slice(answered)) {
          added.push({ role: 'tool', tool_call_id: call.id, name: call.name, content: 'Error: not run: the turn was stopped before this tool finished.' })
        }
        break
      }
      rounds++
    }
  } catch (e) {
    if (!turn.signal.aborted) {
      clearTimeout(timer)
      req.signal.removeEventListener('abort', onStop)
      const err = toAgentError(e)
      deps.log.warn({ code: err.code, err: err.message, session_id: sessionId }, 'agent turn failed')
      events.emit('error', { component: 'agent_runtime', message: err.message, session_id: sessionId })
      throw err
    }
    // the failure is the stop or timeout tearing down a request: the turn ends with what it has
  }
  clearTimeout(timer)
  req.signal.removeEventListener('abort', onStop)

  const result: TurnResult = {
    content,
    ...ids,
    usage,
    cost_usd: Math.round(cost * 1e10) / 1e10,
    duration_ms: Date.now() - started,
    stopped: turn.signal.aborted && !timedOut,
    timedOut,
    messages: added,
  }
  events.emit('agent_end', {
    ...ids,
    duration_ms: result.duration_ms,
    tokens_used: usage.input_tokens + usage.output_tokens,
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    cost_usd: result.cost_usd,
    session_id: sessionId,
    source: req.source,
  })
  return result
}
