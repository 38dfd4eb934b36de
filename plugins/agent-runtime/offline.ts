/**
 * The embedded offline responder: the default provider, so `npm start` chats with no key and no
 * network. It is deterministic (same conversation, same reply) and answers from the conversation
 * itself: it quotes the last user message, counts messages, mentions attachments, and runs tools
 * on request (`/tool <name> <json-args>`), answering with the tool's result afterwards. It streams
 * in word groups like a model would, so clients exercise their streaming path.
 */
import type { ChatMessage, ContentPart } from '@revka/plugin-sdk'
import { estimateInputTokens, estimateTokens, sleep, textOf, type ModelDelta, type ModelProvider, type StreamOptions, type ToolSpec } from './provider.js'
import type { ProviderSpec } from './settings.js'

const STEERING_PREFIX = '[Steering note during active turn]\n'
const TOOL_COMMAND = /^\/tool\s+(\S+)(?:\s+([\s\S]*))?$/
const WORDS_PER_CHUNK = 3
const QUOTE_MAX = 160

function quote(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  if (flat.length <= QUOTE_MAX) return `"${flat}"`
  const words = flat.split(' ').length
  return `"${flat.slice(0, QUOTE_MAX).trimEnd()}…" (${words} words, ${flat.length} characters)`
}

/** Everything after the first text part is what the client attached (inlined files, images). */
function attachmentsOf(content: string | ContentPart[]): string[] {
  if (typeof content === 'string') return []
  const out: string[] = []
  let sawText = false
  for (const p of content) {
    if (p.type === 'image') out.push(`an image (${p.path.split(/[\\/]/).pop()}, ${p.mime})`)
    else if (sawText) out.push(`text starting ${quote(p.text.slice(0, 60))}`)
    else sawText = true
  }
  return out
}

function firstText(content: string | ContentPart[]): string {
  if (typeof content === 'string') return content
  return content.find((p) => p.type === 'text')?.text ?? ''
}

/** The reply to the conversation's last user message. */
export function composeReply(messages: ChatMessage[], tools: ToolSpec[]): string {
  const userCount = messages.filter((m) => m.role === 'user').length
  const last = [...messages].reverse().find((m) => m.role === 'user')
  const parts: string[] = []
  if (!last) parts.push('Hello.')
  else {
    const text = firstText(last.content)
    if (text.startsWith(STEERING_PREFIX)) parts.push(`Noted your steering: ${quote(text.slice(STEERING_PREFIX.length))}.`)
    else parts.push(text.trim() ? `You said: ${quote(text)}.` : 'You sent no text.')
    const att = attachmentsOf(last.content)
    if (att.length) parts.push(`You attached ${att.length === 1 ? 'one item' : `${att.length} items`}: ${att.join('; ')}.`)
  }
  parts.push(`This conversation has ${messages.length} ${messages.length === 1 ? 'message' : 'messages'}, ${userCount} from you.`)
  if (tools.length) {
    const names =
      tools
        .slice(0, 8)
        .map((t) => t.name)
        .join(', ') + (tools.length > 8 ? `, and ${tools.length - 8} more` : '')
    parts.push(`I can run ${tools.length === 1 ? 'one tool' : `${tools.length} tools`} (${names}): send /tool <name> {"arg": "value"} to call one.`)
  }
  parts.push('I am the offline responder built into Revka; set default_provider in config.toml to chat with a real model.')
  return parts.join(' ')
}

/** After tool results: report each one, in call order. */
function answerToolResults(messages: ChatMessage[]): string {
  const results: ChatMessage[] = []
  for (let i = messages.length - 1; i >= 0 && messages[i].role === 'tool'; i--) results.unshift(messages[i])
  return results.map((m) => `The tool ${m.name ?? 'call'} answered: ${textOf(m.content)}`).join('\n')
}

export class OfflineProvider implements ModelProvider {
  readonly type = 'offline'
  readonly supportsImages = false
  readonly name: string
  private readonly delayMs: number

  constructor(spec: ProviderSpec) {
    this.name = spec.name
    this.delayMs = spec.chunkDelayMs
  }

  async *stream(messages: ChatMessage[], tools: ToolSpec[], opts: StreamOptions): AsyncIterable<ModelDelta> {
    const input = estimateInputTokens(messages, tools)
    const last = messages[messages.length - 1]
    const command = last?.role === 'user' ? TOOL_COMMAND.exec(firstText(last.content).trim()) : null
    let reply: string
    if (last?.role === 'tool') reply = answerToolResults(messages)
    else if (command && tools.length && opts.toolChoice !== 'none') {
      // the arguments go through untouched, bad JSON included: parsing them is the runtime's job
      const args = command[2]?.trim() || '{}'
      yield { type: 'tool_call', index: 0, id: `call_offline_${messages.length}`, name: command[1], arguments: args }
      yield { type: 'usage', input_tokens: input, output_tokens: estimateTokens(command[1].length + args.length) }
      return
    } else if (command) reply = `Tools are not available for this reply, so I cannot run ${command[1]}.`
    else reply = composeReply(messages, tools)

    const words = reply.match(/\S+\s*/g) ?? [reply]
    for (let i = 0; i < words.length; i += WORDS_PER_CHUNK) {
      if (i > 0 && this.delayMs > 0) await sleep(this.delayMs, opts.signal)
      if (opts.signal.aborted) return
      yield { type: 'text', text: words.slice(i, i + WORDS_PER_CHUNK).join('') }
    }
    yield { type: 'usage', input_tokens: input, output_tokens: estimateTokens(reply.length) }
  }
}
