/**
 * Our conversation and tools in the Chat Completions wire format. Kept apart from the HTTP code so
 * the mapping rules (tool-name sanitising, images as data URLs) are visible in one place.
 */
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import type { ChatMessage, ContentPart } from '@revka/plugin-sdk'
import { textOf, type ToolSpec } from './provider.js'

/** OpenAI accepts only `[a-zA-Z0-9_-]{1,64}` as a function name; our registry also allows `:` and `.`. */
const WIRE_NAME = /^[a-zA-Z0-9_-]{1,64}$/

/**
 * Tool names as the model sees them, and the way back. MCP-style names (`server:tool`) become
 * `server_tool`; a clash gets a numeric suffix so two tools never share a wire name.
 */
export class ToolNameMap {
  private toWire = new Map<string, string>()
  private fromWire = new Map<string, string>()

  constructor(names: string[]) {
    for (const name of names) {
      let wire = WIRE_NAME.test(name) ? name : name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64)
      for (let n = 2; this.fromWire.has(wire); n++) wire = `${wire.slice(0, 60)}_${n}`
      this.toWire.set(name, wire)
      this.fromWire.set(wire, name)
    }
  }

  wire(name: string): string {
    return this.toWire.get(name) ?? name
  }
  /** unknown names pass through unchanged, so the runtime can report "unknown tool X" */
  local(wire: string): string {
    return this.fromWire.get(wire) ?? wire
  }
}

export function wireTools(tools: ToolSpec[], names: ToolNameMap): unknown[] {
  return tools.map((t) => ({
    type: 'function',
    function: { name: names.wire(t.name), description: t.description, parameters: t.parameters },
  }))
}

async function wireParts(parts: ContentPart[], images: boolean): Promise<unknown[]> {
  const out: unknown[] = []
  for (const p of parts) {
    if (p.type === 'text') out.push({ type: 'text', text: p.text })
    else if (images) {
      const data = await readFile(p.path)
      out.push({ type: 'image_url', image_url: { url: `data:${p.mime};base64,${data.toString('base64')}` } })
    } else {
      // say so rather than drop it silently: the model can then tell the user why it cannot see it
      out.push({ type: 'text', text: `[image ${basename(p.path)} not sent: this provider is not configured with supports_images = true]` })
    }
  }
  return out
}

export async function wireMessages(messages: ChatMessage[], names: ToolNameMap, images: boolean): Promise<unknown[]> {
  const out: unknown[] = []
  for (const m of messages) {
    if (m.role === 'tool') {
      out.push({ role: 'tool', tool_call_id: m.tool_call_id ?? '', content: textOf(m.content) })
    } else if (m.role === 'assistant') {
      const text = textOf(m.content)
      const msg: Record<string, unknown> = { role: 'assistant', content: text || null }
      if (m.tool_calls?.length) {
        msg.tool_calls = m.tool_calls.map((c) => ({ id: c.id, type: 'function', function: { name: names.wire(c.name), arguments: c.arguments } }))
      }
      out.push(msg)
    } else if (m.role === 'user' && typeof m.content !== 'string') {
      out.push({ role: 'user', content: await wireParts(m.content, images) })
    } else {
      out.push({ role: m.role, content: textOf(m.content) })
    }
  }
  return out
}

/** The human part of an error body: `{error:{message}}`, `{error:"…"}`, `{message}`, or the text. */
export function errorMessageOf(body: string): string {
  try {
    const j = JSON.parse(body)
    const m = j?.error?.message ?? (typeof j?.error === 'string' ? j.error : undefined) ?? j?.message ?? j?.detail
    if (typeof m === 'string' && m) return m
  } catch {
    // not JSON: use the text itself
  }
  return body.trim().slice(0, 500) || '(empty body)'
}
