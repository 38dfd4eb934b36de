/**
 * Anthropic's native Messages API: `POST {base_url}/v1/messages` with `stream: true`, headers
 * `x-api-key` and `anthropic-version`. The event stream (message_start, content_block_start /
 * delta / stop, message_delta, message_stop, ping, error) becomes the runtime's deltas: text,
 * thinking, tool-call fragments keyed by content-block index, and usage including the
 * prompt-caching counts so cost can price cache writes and reads apart from fresh input.
 */
import type { ChatMessage } from '@revka/plugin-sdk'
import { type ModelDelta, type ModelProvider, type StreamOptions, type ToolSpec } from './provider.js'
import { ToolNameMap } from './openai-wire.js'
import { anthropicMessages, anthropicTools } from './anthropic-wire.js'
import { postStream, scrubber } from './provider-http.js'
import { sseData } from './sse-reader.js'
import { ProviderError, type ProviderFailure } from './provider-errors.js'
import type { ProviderSpec } from './settings.js'

export const ANTHROPIC_VERSION = '2023-06-01'

/** Anthropic's error types (docs: "Errors") as our failure reasons */
const STREAM_ERRORS: Record<string, ProviderFailure> = {
  overloaded_error: 'unavailable',
  api_error: 'unavailable',
  rate_limit_error: 'rate_limited',
  authentication_error: 'auth',
  permission_error: 'auth',
  not_found_error: 'model_not_found',
  invalid_request_error: 'bad_request',
  request_too_large: 'bad_request',
}

interface Usage {
  input: number
  output: number
  cacheWrite: number
  cacheRead: number
}

export class AnthropicProvider implements ModelProvider {
  readonly type = 'anthropic'
  readonly name: string
  readonly supportsImages: boolean
  private readonly scrub = scrubber(() => this.spec.apiKey)

  constructor(private readonly spec: ProviderSpec) {
    this.name = spec.name
    this.supportsImages = spec.supportsImages
  }

  async *stream(messages: ChatMessage[], tools: ToolSpec[], opts: StreamOptions): AsyncIterable<ModelDelta> {
    const names = new ToolNameMap(tools.map((t) => t.name))
    const wire = await anthropicMessages(messages, names, this.supportsImages)
    const body: Record<string, unknown> = {
      model: opts.model,
      // required by the Messages API: the longest answer we accept for one call
      max_tokens: this.spec.maxTokens,
      ...(wire.system ? { system: wire.system } : {}),
      messages: wire.messages,
      temperature: opts.temperature,
      stream: true,
    }
    if (tools.length) {
      body.tools = anthropicTools(tools, names)
      body.tool_choice = { type: opts.toolChoice ?? 'auto' }
    }
    const headers: Record<string, string> = {
      ...this.spec.headers,
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'anthropic-version': ANTHROPIC_VERSION,
    }
    await this.spec.loadKey?.()
    if (this.spec.apiKey) headers['x-api-key'] = this.spec.apiKey
    const res = await postStream({
      provider: this.name,
      url: `${this.spec.baseUrl}/v1/messages`,
      baseUrl: this.spec.baseUrl!,
      headers,
      body,
      signal: opts.signal,
      scrub: this.scrub,
    })

    const usage: Usage = { input: 0, output: 0, cacheWrite: 0, cacheRead: 0 }
    for await (const data of sseData(res.body!)) {
      let ev: any
      try {
        ev = JSON.parse(data)
      } catch {
        throw new ProviderError('bad_stream', `provider "${this.name}" sent a stream event that is not JSON: ${this.scrub(data.slice(0, 200))}`)
      }
      if (ev?.type === 'message_stop') return
      yield* this.fromEvent(ev, names, usage)
    }
  }

  private *fromEvent(ev: any, names: ToolNameMap, usage: Usage): Generator<ModelDelta> {
    switch (ev?.type) {
      case 'message_start':
        addUsage(usage, ev.message?.usage)
        yield usageDelta(usage)
        return
      case 'content_block_start': {
        const b = ev.content_block
        if (b?.type === 'tool_use') yield { type: 'tool_call', index: ev.index, id: b.id, name: names.local(b.name ?? ''), arguments: '' }
        else if (b?.type === 'text' && b.text) yield { type: 'text', text: b.text }
        return
      }
      case 'content_block_delta': {
        const d = ev.delta
        if (d?.type === 'text_delta' && d.text) yield { type: 'text', text: d.text }
        else if (d?.type === 'input_json_delta' && d.partial_json) yield { type: 'tool_call', index: ev.index, arguments: d.partial_json }
        else if (d?.type === 'thinking_delta' && d.thinking) yield { type: 'thinking', text: d.thinking }
        return
      }
      case 'message_delta':
        // the output count here is cumulative; newer API versions repeat the input counts as well
        addUsage(usage, ev.usage)
        yield usageDelta(usage)
        return
      case 'error': {
        const e = ev.error ?? {}
        throw new ProviderError(
          STREAM_ERRORS[e.type] ?? 'unavailable',
          `provider "${this.name}" reported ${e.type ?? 'an error'} mid-stream: ${this.scrub(String(e.message ?? ''))}`,
        )
      }
      default:
      // ping, content_block_stop, signature deltas: nothing for the turn
    }
  }
}

/** Anthropic reports each count at most once per event; a later report of a count replaces it. */
function addUsage(u: Usage, r: any): void {
  if (!r || typeof r !== 'object') return
  if (typeof r.input_tokens === 'number') u.input = r.input_tokens
  if (typeof r.output_tokens === 'number') u.output = r.output_tokens
  if (typeof r.cache_creation_input_tokens === 'number') u.cacheWrite = r.cache_creation_input_tokens
  if (typeof r.cache_read_input_tokens === 'number') u.cacheRead = r.cache_read_input_tokens
}

/** `input_tokens` is the whole prompt (fresh + cache write + cache read), as other providers count it. */
function usageDelta(u: Usage): ModelDelta {
  return {
    type: 'usage',
    input_tokens: u.input + u.cacheWrite + u.cacheRead,
    output_tokens: u.output,
    cache_write_tokens: u.cacheWrite,
    cache_read_tokens: u.cacheRead,
  }
}
