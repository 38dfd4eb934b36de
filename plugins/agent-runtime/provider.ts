/**
 * One interface for every model backend. A provider streams deltas; the turn loop owns everything
 * else (tools, steering, stop, timeout, events), so adding a backend means writing only `stream`.
 */
import type { ChatMessage, ContentPart } from '@revka/plugin-sdk'

/** A tool as offered to the model. */
export interface ToolSpec {
  name: string
  description: string
  parameters: Record<string, unknown>
}

export type ModelDelta =
  | { type: 'text'; text: string }
  /** reasoning some models stream separately (DeepSeek `reasoning_content`) */
  | { type: 'thinking'; text: string }
  /**
   * A fragment of a tool call. Fragments with the same `index` belong together: `id` and `name`
   * arrive once, `arguments` is concatenated (OpenAI streams the JSON a few characters at a time).
   */
  | { type: 'tool_call'; index: number; id?: string; name?: string; arguments?: string }
  /**
   * The call's usage so far (the last report wins). `input_tokens` is the whole prompt; the cache
   * counts are the parts of it written to / read from a provider's prompt cache, priced apart.
   */
  | { type: 'usage'; input_tokens: number; output_tokens: number; cache_write_tokens?: number; cache_read_tokens?: number }

export interface StreamOptions {
  signal: AbortSignal
  temperature: number
  model: string
  /** `none` keeps the tools visible but forbids calling them (the iteration cap's last call) */
  toolChoice?: 'auto' | 'none'
}

export interface ModelProvider {
  readonly name: string
  readonly type: string
  readonly supportsImages: boolean
  stream(messages: ChatMessage[], tools: ToolSpec[], opts: StreamOptions): AsyncIterable<ModelDelta>
}

/** The text of a message, with attachments reduced to what a text-only reader can use. */
export function textOf(content: string | ContentPart[]): string {
  if (typeof content === 'string') return content
  return content.map((p) => (p.type === 'text' ? p.text : `[image ${p.path.split(/[\\/]/).pop()}]`)).join('\n')
}

/** ~4 characters per token: close enough for budgets when a provider reports no usage. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4)
}

export function estimateInputTokens(messages: ChatMessage[], tools: ToolSpec[]): number {
  let chars = 0
  for (const m of messages) {
    chars += textOf(m.content).length + 4
    for (const c of m.tool_calls ?? []) chars += c.name.length + c.arguments.length
  }
  for (const t of tools) chars += t.name.length + t.description.length + JSON.stringify(t.parameters).length
  return estimateTokens(chars)
}

/** Resolve after `ms`, or reject with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
