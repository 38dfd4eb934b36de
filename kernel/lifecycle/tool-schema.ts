/**
 * The limits on a tool's `parameters` schema. Every turn serialises every tool's schema (to send
 * it to the model, to estimate tokens) and MCP `tools/list` does the same; a schema nested
 * 150,000 deep made that overflow the stack, so every turn failed and tools/list never answered.
 *
 * The check walks the value with an explicit stack, never by recursion, so it is itself safe on
 * any input (JSON.parse builds such a document without trouble; JSON.stringify and recursive
 * walkers do not). The walk stops as soon as the depth or a lower bound of the serialised size is
 * over its limit, so a huge schema costs at most ~64K steps. Only then is it serialised, once, to
 * learn its exact size and that it serialises at all (a BigInt, a throwing toJSON).
 */
import type { ToolSchemaProblem } from '@revka/plugin-sdk'

/** levels of objects and arrays, the schema object itself being level 1 (real schemas use < 10) */
export const MAX_SCHEMA_DEPTH = 32
/** UTF-8 bytes of the serialised schema */
export const MAX_SCHEMA_BYTES = 64 * 1024

const tooDeep = (): ToolSchemaProblem => ({
  code: 'tool_schema_too_deep',
  message: `parameters nest deeper than ${MAX_SCHEMA_DEPTH} levels of objects and arrays`,
})
const tooLarge = (): ToolSchemaProblem => ({ code: 'tool_schema_too_large', message: `parameters serialise to more than ${MAX_SCHEMA_BYTES} bytes of JSON` })
const invalid = (why: string): ToolSchemaProblem => ({ code: 'tool_schema_invalid', message: `parameters ${why}` })

/** what JSON.stringify leaves out of an object */
const omitted = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol'

export function checkToolSchema(schema: unknown): ToolSchemaProblem | null {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return invalid('must be a JSON Schema object')
  // a lower bound of the serialised size: every value takes at least a byte, a string its length
  // (UTF-16 units never outnumber UTF-8 bytes), a key its length plus `"":`
  let bytes = 0
  const stack: Array<{ v: unknown; depth: number }> = [{ v: schema, depth: 1 }]
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!
    bytes += 1
    if (typeof v === 'string') bytes += v.length
    else if (typeof v === 'bigint') return invalid('cannot be serialised as JSON (a BigInt value)')
    else if (typeof v === 'object' && v !== null) {
      if (depth > MAX_SCHEMA_DEPTH) return tooDeep()
      if (Array.isArray(v)) {
        // checked before pushing, so a vast array never fills the stack
        if (bytes + v.length > MAX_SCHEMA_BYTES) return tooLarge()
        for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], depth: depth + 1 })
      } else {
        const keys = Object.keys(v)
        if (bytes + keys.length * 4 > MAX_SCHEMA_BYTES) return tooLarge()
        for (const key of keys) {
          const child = (v as Record<string, unknown>)[key]
          if (omitted(child)) continue
          bytes += key.length + 3
          stack.push({ v: child, depth: depth + 1 })
        }
      }
    }
    if (bytes > MAX_SCHEMA_BYTES) return tooLarge()
  }
  // the walk bounded the nesting, so serialising cannot run deep; a toJSON could still misbehave
  let json: string
  try {
    json = JSON.stringify(schema)
  } catch (e) {
    return invalid(`cannot be serialised as JSON (${(e as Error)?.message ?? String(e)})`)
  }
  if (Buffer.byteLength(json, 'utf8') > MAX_SCHEMA_BYTES) return tooLarge()
  return null
}
