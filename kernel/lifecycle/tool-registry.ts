/** The `tool-registry` kernel service: runs the `tools` waterfall and de-duplicates by name. */
import type { AgentTool, ToolRegistryService } from '@revka/plugin-sdk'
import type { Logger } from 'pino'
import type { HookTable } from '../hooks/table.js'

const NAME = /^[a-zA-Z0-9_:.-]{1,128}$/

export function createToolRegistry(hooks: HookTable, log: Logger): ToolRegistryService {
  return {
    async list() {
      const all = await hooks.tools.promise([])
      const seen = new Map<string, AgentTool>()
      for (const t of Array.isArray(all) ? all : []) {
        if (!t || typeof t.execute !== 'function' || !NAME.test(String(t.name))) {
          log.warn({ tool: t?.name, plugin: t?.plugin }, 'REVKA_ERR_TOOL_INVALID: tool skipped (needs a name matching [a-zA-Z0-9_:.-]{1,128} and execute())')
          continue
        }
        if (seen.has(t.name)) {
          log.warn({ tool: t.name, plugin: t.plugin, kept: seen.get(t.name)!.plugin }, 'REVKA_ERR_TOOL_DUPLICATE: a tool with this name is already registered; the first one wins')
          continue
        }
        seen.set(t.name, t)
      }
      return [...seen.values()]
    },
  }
}
