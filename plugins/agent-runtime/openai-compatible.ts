/**
 * Any server that speaks OpenAI's streaming Chat Completions (OpenAI, OpenRouter, Groq, Ollama,
 * vLLM, LM Studio…): `POST {base_url}/chat/completions` with `stream: true`, spoken with fetch.
 * The api key travels only in the Authorization header and is scrubbed from every error message.
 */
import type { ChatMessage } from '@revka/plugin-sdk'
import { type ModelDelta, type ModelProvider, type StreamOptions, type ToolSpec } from './provider.js'
import { errorMessageOf, ToolNameMap, wireMessages, wireTools } from './openai-wire.js'
import { sseData } from './sse-reader.js'
import { failureOfStatus, ProviderError } from './provider-errors.js'
import { postStream, scrubber } from './provider-http.js'
import type { ProviderSpec } from './settings.js'

export class OpenAiCompatibleProvider implements ModelProvider {
  /** `openai-compatible` or `gemini` (Google's OpenAI-compatible endpoint) */
  readonly type: string
  readonly name: string
  readonly supportsImages: boolean

  constructor(private readonly spec: ProviderSpec) {
    this.name = spec.name
    this.type = spec.type
    this.supportsImages = spec.supportsImages
  }

  private readonly scrub = scrubber(() => this.spec.apiKey)

  async *stream(messages: ChatMessage[], tools: ToolSpec[], opts: StreamOptions): AsyncIterable<ModelDelta> {
    const names = new ToolNameMap(tools.map((t) => t.name))
    const body: Record<string, unknown> = {
      model: opts.model,
      messages: await wireMessages(messages, names, this.supportsImages),
      temperature: opts.temperature,
      stream: true,
      stream_options: { include_usage: true },
    }
    if (tools.length) {
      body.tools = wireTools(tools, names)
      body.tool_choice = opts.toolChoice ?? 'auto'
    }
    const headers: Record<string, string> = { ...this.spec.headers, 'content-type': 'application/json', accept: 'text/event-stream' }
    await this.spec.loadKey?.()
    if (this.spec.apiKey) headers.authorization = `Bearer ${this.spec.apiKey}`

    const res = await postStream({
      provider: this.name,
      url: `${this.spec.baseUrl}/chat/completions`,
      baseUrl: this.spec.baseUrl!,
      headers,
      body,
      signal: opts.signal,
      scrub: this.scrub,
    })

    // some servers ignore `stream: true` and answer with one JSON completion
    if (!/event-stream/i.test(res.headers.get('content-type') ?? '')) {
      yield* this.fromCompletion(await res.text(), names)
      return
    }
    for await (const data of sseData(res.body!)) {
      if (data.trim() === '[DONE]') return
      let chunk: any
      try {
        chunk = JSON.parse(data)
      } catch {
        throw new ProviderError('bad_stream', `provider "${this.name}" sent a stream line that is not JSON: ${this.scrub(data.slice(0, 200))}`)
      }
      // OpenRouter and others report a failure after the 200 as a chunk, with an HTTP-like code
      if (chunk?.error)
        throw new ProviderError(
          typeof chunk.error.code === 'number' ? failureOfStatus(chunk.error.code) : 'unavailable',
          `provider "${this.name}" reported: ${this.scrub(errorMessageOf(JSON.stringify(chunk)))}`,
        )
      yield* this.fromChunk(chunk, names)
    }
  }

  private *fromChunk(chunk: any, names: ToolNameMap): Generator<ModelDelta> {
    const delta = chunk?.choices?.[0]?.delta
    if (delta) {
      const reasoning = delta.reasoning_content ?? delta.reasoning
      if (typeof reasoning === 'string' && reasoning) yield { type: 'thinking', text: reasoning }
      if (typeof delta.content === 'string' && delta.content) yield { type: 'text', text: delta.content }
      for (const [i, tc] of (Array.isArray(delta.tool_calls) ? delta.tool_calls : []).entries()) {
        yield {
          type: 'tool_call',
          // some servers omit `index` when they send whole calls; their position is the index then
          index: typeof tc.index === 'number' ? tc.index : i,
          id: tc.id || undefined,
          name: tc.function?.name ? names.local(tc.function.name) : undefined,
          arguments: tc.function?.arguments ?? undefined,
        }
      }
    }
    if (chunk?.usage) yield usageOf(chunk.usage)
  }

  private *fromCompletion(text: string, names: ToolNameMap): Generator<ModelDelta> {
    let j: any
    try {
      j = JSON.parse(text)
    } catch {
      throw new ProviderError('bad_stream', `provider "${this.name}" answered with neither an event stream nor JSON`)
    }
    const msg = j?.choices?.[0]?.message ?? {}
    if (typeof msg.content === 'string' && msg.content) yield { type: 'text', text: msg.content }
    for (const [i, tc] of (Array.isArray(msg.tool_calls) ? msg.tool_calls : []).entries()) {
      yield { type: 'tool_call', index: i, id: tc.id, name: names.local(tc.function?.name ?? ''), arguments: tc.function?.arguments ?? '' }
    }
    if (j?.usage) yield usageOf(j.usage)
  }
}

function usageOf(u: any): ModelDelta {
  return { type: 'usage', input_tokens: Number(u.prompt_tokens) || 0, output_tokens: Number(u.completion_tokens) || 0 }
}
