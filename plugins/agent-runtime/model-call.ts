/**
 * One model call inside a turn: stream the provider, forward text as `chunk` events, assemble tool
 * calls from their fragments, and settle the call's usage and cost. A stop or timeout mid-stream is
 * not an error here: the caller gets what arrived so far with `interrupted: true`.
 *
 * With fallback_providers the call walks the routes in order: a connection error, 429 or 5xx moves
 * it to the next one — shown as a `status` event with phase `provider_fallback` — but only while
 * nothing has been streamed, so a user never sees two answers spliced together.
 */
import type { ChatMessage, EventBus, ToolCallRequest, TurnEvent } from '@revka/plugin-sdk'
import { estimateInputTokens, estimateTokens, type ModelProvider, type ToolSpec } from './provider.js'
import { ProviderError } from './provider-errors.js'
import { costUsd } from './pricing.js'
import type { ProviderSpec } from './settings.js'

/** A provider to call, the model to ask it for, and its prices. */
export interface ModelRoute {
  provider: ModelProvider
  model: string
  spec: ProviderSpec
}

export interface ModelCallInput {
  /** the default provider first, then fallback_providers */
  routes: ModelRoute[]
  temperature: number
  messages: ChatMessage[]
  tools: ToolSpec[]
  toolChoice: 'auto' | 'none'
  signal: AbortSignal
  sessionId: string
  events: EventBus
  onEvent: (e: TurnEvent) => void
}

export interface ModelCallOutput {
  /** the route that answered */
  provider: string
  model: string
  cost_usd: number
  text: string
  toolCalls: ToolCallRequest[]
  input_tokens: number
  output_tokens: number
  /** parts of input_tokens written to / read from the provider's prompt cache */
  cache_write_tokens: number
  cache_read_tokens: number
  interrupted: boolean
}

let callSeq = 0

export async function callModel(c: ModelCallInput): Promise<ModelCallOutput> {
  for (const [i, route] of c.routes.entries()) {
    const next = c.routes[i + 1]
    const streamed = { any: false }
    try {
      return await callRoute(c, route, streamed)
    } catch (e) {
      if (!next || streamed.any || !(e instanceof ProviderError) || !e.retryable) throw e
      c.onEvent({ type: 'status', phase: 'provider_fallback', detail: `${e.message} [${e.reason}]; trying provider "${next.provider.name}"` })
    }
  }
  // the runtime always passes the default provider first; an empty list is a bug in the caller
  throw new Error('REVKA_ERR_AGENT_ROUTES: callModel needs at least one provider route')
}

async function callRoute(c: ModelCallInput, route: ModelRoute, streamed: { any: boolean }): Promise<ModelCallOutput> {
  c.events.emit('llm_request', { provider: route.provider.name, model: route.model, session_id: c.sessionId })
  let text = ''
  let usage: { input_tokens: number; output_tokens: number; cache_write_tokens: number; cache_read_tokens: number } | undefined
  const parts = new Map<number, { id?: string; name: string; arguments: string }>()
  let interrupted = false
  try {
    for await (const d of route.provider.stream(c.messages, c.tools, {
      signal: c.signal,
      temperature: c.temperature,
      model: route.model,
      toolChoice: c.toolChoice,
    })) {
      if (c.signal.aborted) break
      if (d.type !== 'usage') streamed.any = true
      if (d.type === 'text') {
        text += d.text
        c.onEvent({ type: 'chunk', content: d.text })
      } else if (d.type === 'thinking') {
        c.onEvent({ type: 'thinking', content: d.text })
      } else if (d.type === 'tool_call') {
        const p = parts.get(d.index) ?? { name: '', arguments: '' }
        if (d.id) p.id = d.id
        if (d.name) p.name = p.name && p.name !== d.name ? p.name + d.name : d.name
        if (d.arguments) p.arguments += d.arguments
        parts.set(d.index, p)
      } else if (d.type === 'usage') {
        // servers send usage once at the end (or cumulatively): the last report is the call's total
        usage = {
          input_tokens: d.input_tokens,
          output_tokens: d.output_tokens,
          cache_write_tokens: d.cache_write_tokens ?? 0,
          cache_read_tokens: d.cache_read_tokens ?? 0,
        }
      }
    }
  } catch (e) {
    if (!c.signal.aborted) throw e
  }
  if (c.signal.aborted) interrupted = true

  const toolCalls = [...parts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, p]) => ({ id: p.id ?? `call_${index}_${(++callSeq).toString(36)}`, name: p.name, arguments: p.arguments }))
  if (!usage) {
    // an interrupted call, or a server that reports no usage: estimate so budgets still move
    const outChars = text.length + toolCalls.reduce((n, t) => n + t.name.length + t.arguments.length, 0)
    usage = { input_tokens: estimateInputTokens(c.messages, c.tools), output_tokens: estimateTokens(outChars), cache_write_tokens: 0, cache_read_tokens: 0 }
  }
  const cost = costUsd(route.spec, usage, { write: usage.cache_write_tokens, read: usage.cache_read_tokens })
  return { provider: route.provider.name, model: route.model, cost_usd: cost, text, toolCalls: interrupted ? [] : toolCalls, ...usage, interrupted }
}
