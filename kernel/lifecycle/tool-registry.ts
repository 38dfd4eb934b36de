/**
 * The `tool-registry` kernel service: runs the `tools` waterfall, de-duplicates by name, and is
 * the one place every tool source (plugins, nodes, MCP) passes through — so it is where a tool
 * that would break every turn for everyone is left out: no name, no description, no execute, or
 * parameters that are too deep, too large or not JSON (tool-schema.ts). One bad tool is skipped
 * with a diagnostic; the others are listed.
 */
import type { AgentTool, ToolRegistryService, ToolSchemaProblem } from '@revka/plugin-sdk'
import type { Logger } from 'pino'
import type { HookTable } from '../hooks/table.js'
import { checkToolSchema } from './tool-schema.js'

const NAME = /^[a-zA-Z0-9_:.-]{1,128}$/
/** tools offered at once; each one is sent to the model on every turn */
export const MAX_TOOLS = 1024

export function createToolRegistry(hooks: HookTable, log: Logger): ToolRegistryService {
  // The list is built on every turn, mostly from the same schema objects: each is checked once.
  // (A plugin that edits a schema in place after contributing it is not checked again; the turn
  // and MCP tools/list still skip a tool whose schema will not serialise.)
  const verdicts = new WeakMap<object, ToolSchemaProblem | null>()
  let overflowWarned = 0

  const schemaVerdict = (t: AgentTool): ToolSchemaProblem | null => {
    const p: unknown = t.parameters
    const cacheable = typeof p === 'object' && p !== null
    if (cacheable && verdicts.has(p)) return verdicts.get(p)!
    const verdict = checkToolSchema(p)
    // logged when first seen, not on every turn
    if (cacheable) verdicts.set(p, verdict)
    if (verdict) log.warn({ tool: t.name, plugin: t.plugin, code: verdict.code }, `REVKA_ERR_TOOL_SCHEMA: tool skipped: ${verdict.message}`)
    return verdict
  }

  return {
    checkSchema: checkToolSchema,
    async list() {
      const all = await hooks.tools.promise([])
      const seen = new Map<string, AgentTool>()
      let overflow = 0
      for (const t of Array.isArray(all) ? all : []) {
        if (!t || typeof t.execute !== 'function' || !NAME.test(String(t.name)) || typeof t.description !== 'string') {
          log.warn(
            { tool: t?.name, plugin: t?.plugin },
            'REVKA_ERR_TOOL_INVALID: tool skipped (needs a name matching [a-zA-Z0-9_:.-]{1,128}, a description string and execute())',
          )
          continue
        }
        if (seen.has(t.name)) {
          log.warn(
            { tool: t.name, plugin: t.plugin, kept: seen.get(t.name)!.plugin },
            'REVKA_ERR_TOOL_DUPLICATE: a tool with this name is already registered; the first one wins',
          )
          continue
        }
        if (schemaVerdict(t)) continue
        if (seen.size >= MAX_TOOLS) {
          overflow++
          continue
        }
        seen.set(t.name, t)
      }
      if (overflow !== overflowWarned) {
        overflowWarned = overflow
        if (overflow)
          log.warn(
            { skipped: overflow, max: MAX_TOOLS },
            `REVKA_ERR_TOOL_LIMIT: more than ${MAX_TOOLS} tools contributed; the last ${overflow} are not offered`,
          )
      }
      return [...seen.values()]
    },
  }
}
