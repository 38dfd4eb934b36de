/**
 * Checking what a node sends (contract §3.5). Every refusal carries a reason the node's author can
 * act on; the socket answers it as `{"type":"error","error":<reason>}` (the deliberate difference
 * no. 10: the reference drops bad frames silently).
 */
import type { Capability } from './registry.js'

export const MAX_NODE_ID_BYTES = 128
export const MAX_CAPABILITIES = 256
const MAX_CAPABILITY_NAME = 128
const MAX_DESCRIPTION = 4096
const CONTROL = /[\u0000-\u001f\u007f]/
const DEFAULT_PARAMETERS = { type: 'object', properties: {} }

export type NodeMessage =
  | { type: 'register'; nodeId: string; capabilities: Capability[] }
  | { type: 'result'; callId: string; success: boolean; output: string; error: string | null }
  | { type: 'refused'; error: string }

const refuse = (error: string): NodeMessage => ({ type: 'refused', error })

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** 1–128 bytes (the reference counts UTF-8 bytes), no control characters */
export function nodeIdProblem(id: unknown): string | null {
  if (typeof id !== 'string' || id.length === 0) return 'node_id must be a non-empty string'
  if (Buffer.byteLength(id, 'utf8') > MAX_NODE_ID_BYTES) return `node_id must be at most ${MAX_NODE_ID_BYTES} bytes`
  if (CONTROL.test(id)) return 'node_id must not contain control characters'
  return null
}

function parseCapabilities(raw: unknown): Capability[] | string {
  if (!Array.isArray(raw)) return 'capabilities must be an array of {name, description, parameters?}'
  if (raw.length > MAX_CAPABILITIES) return `at most ${MAX_CAPABILITIES} capabilities per node`
  const out: Capability[] = []
  const seen = new Set<string>()
  for (const [i, c] of raw.entries()) {
    const at = `capabilities[${i}]`
    if (!isObject(c)) return `${at} must be an object {name, description, parameters?}`
    if (typeof c.name !== 'string' || !c.name || c.name.length > MAX_CAPABILITY_NAME || CONTROL.test(c.name))
      return `${at}.name must be a string of 1-${MAX_CAPABILITY_NAME} characters without control characters`
    if (seen.has(c.name)) return `${at}.name "${c.name}" is listed twice`
    if (typeof c.description !== 'string' || c.description.length > MAX_DESCRIPTION)
      return `${at}.description must be a string of at most ${MAX_DESCRIPTION} characters`
    if (c.parameters !== undefined && c.parameters !== null && !isObject(c.parameters))
      return `${at}.parameters must be a JSON Schema object`
    seen.add(c.name)
    out.push({ name: c.name, description: c.description, parameters: isObject(c.parameters) ? c.parameters : structuredClone(DEFAULT_PARAMETERS) })
  }
  return out
}

/** One text frame from a node: a register, a result, or the reason it was refused. */
export function parseNodeMessage(text: string): NodeMessage {
  let v: unknown
  try { v = JSON.parse(text) } catch { return refuse('Invalid JSON') }
  if (!isObject(v)) return refuse('Expected a JSON object with a "type"')
  if (v.type === 'register') {
    const bad = nodeIdProblem(v.node_id)
    if (bad) return refuse(`Invalid node_id: ${bad}`)
    const caps = parseCapabilities(v.capabilities)
    if (typeof caps === 'string') return refuse(`Invalid capabilities: ${caps}`)
    return { type: 'register', nodeId: v.node_id as string, capabilities: caps }
  }
  if (v.type === 'result') {
    if (typeof v.call_id !== 'string' || !v.call_id) return refuse('result needs a call_id string')
    if (typeof v.success !== 'boolean') return refuse('result needs a boolean success')
    // the reference requires a string; anything else is kept readable rather than dropped
    const output = typeof v.output === 'string' ? v.output : v.output === undefined ? '' : JSON.stringify(v.output)
    const error = typeof v.error === 'string' ? v.error : v.error == null ? null : JSON.stringify(v.error)
    return { type: 'result', callId: v.call_id, success: v.success, output, error }
  }
  return refuse(`Unknown message type ${JSON.stringify(v.type)}: send "register" or "result"`)
}
