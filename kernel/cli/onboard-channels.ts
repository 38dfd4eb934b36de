/**
 * `revka onboard`'s last step: which messaging channels to run. The candidates are the discovered
 * plugins whose manifest lists them as a Chat integration (the webhook channels, and any
 * third-party channel plugin that says the same), read from manifests without importing a plugin.
 * The choice is written to revka.plugins.json in one atomic write, only when it changes something.
 */
import { join } from 'node:path'
import { resolvePluginSet } from '../lifecycle/plugin-set.js'
import { PROJECT_ROOT } from '../lifecycle/kernel.js'
import { pluginsFilePath, readPluginsFile, setEnabledMany, type PluginsFile } from '../registry/plugins-file.js'
import { UsageError } from './args.js'

export interface ChannelChoice {
  id: string
  name: string
  description: string
  enabled: boolean
}

export function channelCandidates(pluginsFlag: string | undefined): { file: PluginsFile; channels: ChannelChoice[] } {
  const file = readPluginsFile(pluginsFilePath(pluginsFlag))
  const records = resolvePluginSet({ file, builtinDir: join(PROJECT_ROOT, 'plugins'), projectRoot: PROJECT_ROOT, extraPaths: [], mode: 'gateway' })
  const channels = records
    .filter((r) => r.manifest?.integration?.category === 'Chat')
    .map((r) => {
      const m = r.manifest!
      return { id: r.id, name: m.integration!.name ?? m.name ?? r.id, description: m.integration!.description ?? m.description ?? '', enabled: r.enabled }
    })
  return { file, channels }
}

/** `--channels a,b` (or `none`): exactly these channel plugins on, the other channel plugins off */
export function channelsFromFlag(value: string, channels: ChannelChoice[]): Set<string> {
  const ids =
    value.trim() === 'none'
      ? []
      : value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
  const known = new Set(channels.map((c) => c.id))
  const unknown = ids.filter((id) => !known.has(id))
  if (unknown.length) throw new UsageError(`--channels: ${unknown.join(', ')} is not a channel plugin (${[...known].join(', ') || 'none found'}, or "none")`)
  return new Set(ids)
}

/** write the choice; returns the changed ids (empty: nothing written) */
export function applyChannels(file: PluginsFile, channels: ChannelChoice[], chosen: Set<string>): Record<string, boolean> {
  const changes: Record<string, boolean> = {}
  for (const c of channels) if (chosen.has(c.id) !== c.enabled) changes[c.id] = chosen.has(c.id)
  if (Object.keys(changes).length) setEnabledMany(file, changes)
  return changes
}
