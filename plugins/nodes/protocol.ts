/**
 * Checking what a node sends (contract §3.5). Every refusal carries a reason the node's author can
 * act on and a code; the socket answers it as `{"type":"error","error":<reason>,"code":<code>}`
 * (the deliberate difference no. 10: the reference drops bad frames silently).
 *
 * A capability's `parameters` must pass the tool registry's schema check (at most 32 levels deep,
 * 64 KiB serialised): a schema nested 150,000 deep once broke every agent turn. A register with
 * one such capability is refused whole, like a register with any other bad capability: the node
 * learns which one and why, and nothing is half-registered (an earlier registration of the same
 * socket stays as it was). Other nodes' and plugins' tools are never affected either way.
 */
import { isObject, type ToolSchemaProblem } from '@revka/plugin-sdk'
import type { Capability } from './registry.js'

export const MAX_NODE_ID_BYTES = 128
export const MAX_CAPABILITIES = 256
const MAX_CAPABILITY_NAME = 128
const MAX_DESCRIPTION = 4096
const CONTROL = /[\u0000-\u001f\u007f]/
const DEFAULT_PARAMETERS = { type: 'object', properties: {} }

/** the tool registry's check (`ToolRegistryService.checkSchema`) */
export type SchemaCheck = (parameters: unknown) => ToolSchemaProblem | null

export type RefusalCode = 'invalid_json' | 'invalid_frame' | 'invalid_node_id' | 'invalid_capabilities' | 'too_many_capabilities' | ToolSchemaProblem['code']

export interface Refusal {
  type: 'refused'
  error: string
  code: RefusalCode
  capability?: string
}

export type NodeMessage =
  | { type: 'register'; nodeId: string; capabilities: Capability[] }
  | { type: 'result'; callId: string; success: boolean; output: string; error: string | null }
  | Refusal

const refuse = (code: RefusalCode, error: string, capability?: string): Refusal => ({
  type: 'refused',
  error,
  code,
  ...(capability === undefined ? {} : { capability }),
})

/** 1–128 bytes (the reference counts UTF-8 bytes), no control characters */
export function nodeIdProblem(id: unknown): string | null {
  if (typeof id !== 'string' || id.length === 0) return 'node_id must be a non-empty string'
  if (Buffer.byteLength(id, 'utf8') > MAX_NODE_ID_BYTES) return `node_id must be at most ${MAX_NODE_ID_BYTES} bytes`
  if (CONTROL.test(id)) return 'node_id must not contain control characters'
  return null
}

function parseCapabilities(raw: unknown, checkSchema: SchemaCheck): Capability[] | Refusal {
  const bad = (why: string) => refuse('invalid_capabilities', `Invalid capabilities: ${why}`)
  if (!Array.isArray(raw)) return bad('capabilities must be an array of {name, description, parameters?}')
  if (raw.length > MAX_CAPABILITIES) return refuse('too_many_capabilities', `Invalid capabilities: at most ${MAX_CAPABILITIES} capabilities per node`)
  const out: Capability[] = []
  const seen = new Set<string>()
  for (const [i, c] of raw.entries()) {
    const at = `capabilities[${i}]`
    if (!isObject(c)) return bad(`${at} must be an object {name, description, parameters?}`)
    if (typeof c.name !== 'string' || !c.name || c.name.length > MAX_CAPABILITY_NAME || CONTROL.test(c.name))
      return bad(`${at}.name must be a string of 1-${MAX_CAPABILITY_NAME} characters without control characters`)
    if (seen.has(c.name)) return bad(`${at}.name "${c.name}" is listed twice`)
    if (typeof c.description !== 'string' || c.description.length > MAX_DESCRIPTION)
      return bad(`${at}.description must be a string of at most ${MAX_DESCRIPTION} characters`)
    if (c.parameters !== undefined && c.parameters !== null && !isObject(c.parameters)) return bad(`${at}.parameters must be a JSON Schema object`)
    const problem = isObject(c.parameters) ? checkSchema(c.parameters) : null
    if (problem) return refuse(problem.code, `Invalid capabilities: ${at} "${c.name}": ${problem.message}`, c.name)
    seen.add(c.name)
    out.push({ name: c.name, description: c.description, parameters: isObject(c.parameters) ? c.parameters : structuredClone(DEFAULT_PARAMETERS) })
  }
  return out
}

/** a non-string value as JSON text; null when it cannot be serialised (a 150,000-deep value overflows the stack) */
function readable(v: unknown): string | null {
  try {
    return JSON.stringify(v)
  } catch {
    return null
  }
}

/** One text frame from a node: a register, a result, or the reason it was refused. */
export function parseNodeMessage(text: string, checkSchema: SchemaCheck): NodeMessage {
  let v: unknown
  // JSON.parse does not recurse on the stack: a deeply nested frame parses, and is judged below
  try {
    v = JSON.parse(text)
  } catch {
    return refuse('invalid_json', 'Invalid JSON')
  }
  if (!isObject(v)) return refuse('invalid_frame', 'Expected a JSON object with a "type"')
  if (v.type === 'register') {
    const bad = nodeIdProblem(v.node_id)
    if (bad) return refuse('invalid_node_id', `Invalid node_id: ${bad}`)
    const caps = parseCapabilities(v.capabilities, checkSchema)
    if (!Array.isArray(caps)) return caps
    return { type: 'register', nodeId: v.node_id as string, capabilities: caps }
  }
  if (v.type === 'result') {
    if (typeof v.call_id !== 'string' || !v.call_id) return refuse('invalid_frame', 'result needs a call_id string')
    if (typeof v.success !== 'boolean') return refuse('invalid_frame', 'result needs a boolean success')
    // the reference requires a string; anything else is kept readable rather than dropped
    const output = typeof v.output === 'string' ? v.output : v.output === undefined ? '' : readable(v.output)
    const error = typeof v.error === 'string' ? v.error : v.error == null ? null : readable(v.error)
    if (output === null || (error === null && v.error != null))
      return refuse('invalid_frame', 'result output and error must be strings (this value cannot be serialised: nested too deep?)')
    return { type: 'result', callId: v.call_id, success: v.success, output, error }
  }
  // v.type is a primitive or an object whose nesting JSON.parse accepted: describe it shallowly
  const what = typeof v.type === 'string' ? JSON.stringify(v.type.slice(0, 64)) : typeof v.type
  return refuse('invalid_frame', `Unknown message type ${what}: send "register" or "result"`)
}
