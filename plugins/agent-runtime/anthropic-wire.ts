/**
 * Our conversation and tools in Anthropic's Messages API shape. System messages become the
 * top-level `system`; a tool result is a `tool_result` block inside a user message; an assistant's
 * tool calls are `tool_use` blocks with parsed `input`. Consecutive messages of one role are merged
 * into one message of blocks, because tool results and a steering note follow each other as users.
 */
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import type { ChatMessage, ContentPart } from '@revka/plugin-sdk'
import { textOf, type ToolSpec } from './provider.js'
import type { ToolNameMap } from './openai-wire.js'

type Block = Record<string, unknown>

export function anthropicTools(tools: ToolSpec[], names: ToolNameMap): unknown[] {
  return tools.map((t) => ({ name: names.wire(t.name), description: t.description, input_schema: t.parameters }))
}

async function userBlocks(content: string | ContentPart[], images: boolean): Promise<Block[]> {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : []
  const out: Block[] = []
  for (const p of content) {
    if (p.type === 'text') out.push({ type: 'text', text: p.text })
    else if (images) {
      const data = await readFile(p.path)
      out.push({ type: 'image', source: { type: 'base64', media_type: p.mime, data: data.toString('base64') } })
    } else {
      out.push({ type: 'text', text: `[image ${basename(p.path)} not sent: this provider is not configured with supports_images = true]` })
    }
  }
  return out
}

/** A stored call's arguments as the object Anthropic wants; a malformed one is sent as `{}`. */
function inputOf(args: string): unknown {
  try {
    const v = JSON.parse(args || '{}')
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {}
  } catch {
    return {}
  }
}

export async function anthropicMessages(messages: ChatMessage[], names: ToolNameMap, images: boolean): Promise<{ system?: string; messages: unknown[] }> {
  const system: string[] = []
  const out: Array<{ role: 'user' | 'assistant'; content: Block[] }> = []
  const push = (role: 'user' | 'assistant', blocks: Block[]) => {
    if (!blocks.length) return
    const last = out[out.length - 1]
    if (last && last.role === role) last.content.push(...blocks)
    else out.push({ role, content: blocks })
  }
  for (const m of messages) {
    if (m.role === 'system') system.push(textOf(m.content))
    else if (m.role === 'tool') push('user', [{ type: 'tool_result', tool_use_id: m.tool_call_id ?? '', content: textOf(m.content) }])
    else if (m.role === 'assistant') {
      const text = textOf(m.content)
      const blocks: Block[] = text ? [{ type: 'text', text }] : []
      for (const c of m.tool_calls ?? []) blocks.push({ type: 'tool_use', id: c.id, name: names.wire(c.name), input: inputOf(c.arguments) })
      push('assistant', blocks)
    } else push('user', await userBlocks(m.content, images))
  }
  return { system: system.length ? system.join('\n\n') : undefined, messages: out }
}
