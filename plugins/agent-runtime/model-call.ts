/**
 * One model call inside a turn: stream the provider, forward text as `chunk` events, assemble tool
 * calls from their fragments, and settle the call's usage. A stop or timeout mid-stream is not an
 * error here: the caller gets what arrived so far with `interrupted: true`.
 */
import type { ChatMessage, EventBus, ToolCallRequest, TurnEvent } from '@revka/plugin-sdk'
import { estimateInputTokens, estimateTokens, type ModelProvider, type ToolSpec } from './provider.js'

export interface ModelCallInput {
  provider: ModelProvider
  model: string
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
  c.events.emit('llm_request', { provider: c.provider.name, model: c.model, session_id: c.sessionId })
  let text = ''
  let usage: { input_tokens: number; output_tokens: number; cache_write_tokens: number; cache_read_tokens: number } | undefined
  const parts = new Map<number, { id?: string; name: string; arguments: string }>()
  let interrupted = false
  try {
    for await (const d of c.provider.stream(c.messages, c.tools, { signal: c.signal, temperature: c.temperature, model: c.model, toolChoice: c.toolChoice })) {
      if (c.signal.aborted) break
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
        usage = { input_tokens: d.input_tokens, output_tokens: d.output_tokens, cache_write_tokens: d.cache_write_tokens ?? 0, cache_read_tokens: d.cache_read_tokens ?? 0 }
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
  return { text, toolCalls: interrupted ? [] : toolCalls, ...usage, interrupted }
}
