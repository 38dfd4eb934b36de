/**
 * The `channel-registry` kernel service: runs the `channels` waterfall (every enabled channel
 * plugin's descriptor), drops malformed or duplicate entries with a diagnostic, and orders the
 * rest by id so `GET /api/channels` is stable.
 */
import type { ChannelDescriptor, ChannelRegistryService } from '@revka/plugin-sdk'
import type { Logger } from 'pino'
import type { HookTable } from '../hooks/table.js'

const SLUG = /^[a-z][a-z0-9_]{0,63}$/

export function createChannelRegistry(hooks: HookTable, log: Logger): ChannelRegistryService {
  const warned = new Set<string>()
  const warnOnce = (key: string, obj: Record<string, unknown>, msg: string) => {
    if (warned.has(key)) return
    warned.add(key)
    log.warn(obj, msg)
  }
  const list = async (): Promise<ChannelDescriptor[]> => {
    const all = await hooks.channels.promise([])
    const seen = new Map<string, ChannelDescriptor>()
    for (const c of Array.isArray(all) ? all : []) {
      if (!c || !SLUG.test(String(c.id)) || typeof c.status !== 'function') {
        warnOnce(
          `bad:${c?.plugin}:${c?.id}`,
          { channel: c?.id, plugin: c?.plugin },
          'REVKA_ERR_CHANNEL_INVALID: channel skipped (needs an id matching [a-z][a-z0-9_]{0,63} and status())',
        )
        continue
      }
      if (seen.has(c.id)) {
        warnOnce(
          `dup:${c.plugin}:${c.id}`,
          { channel: c.id, plugin: c.plugin, kept: seen.get(c.id)!.plugin },
          'REVKA_ERR_CHANNEL_DUPLICATE: a channel with this id is already declared; the first one wins',
        )
        continue
      }
      seen.set(c.id, c)
    }
    return [...seen.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }
  return { list, get: async (id) => (await list()).find((c) => c.id === id) }
}
