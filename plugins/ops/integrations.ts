/**
 * The integrations page (contract DOMAIN.md §17) derived from the plugins actually discovered: a
 * plugin is listed when its manifest has an `integration` entry, and its status follows the
 * plugin's — `Active` when enabled and started, `Available` otherwise. No hard-coded catalogue:
 * installing a plugin with an `integration` entry adds it, removing it removes it.
 */
import type { IntegrationCategory, PluginDescription } from '@revka/plugin-sdk'

export type IntegrationStatus = 'Available' | 'Active' | 'ComingSoon'

export interface Integration {
  name: string
  description: string
  category: IntegrationCategory
  status: IntegrationStatus
}

export function integrations(plugins: PluginDescription[]): Integration[] {
  const out: Integration[] = []
  const seen = new Set<string>()
  for (const p of plugins) {
    if (!p.integration) continue
    const name = p.integration.name ?? p.name ?? p.id
    // two plugins claiming one name: the first discovered wins, as for tools
    if (seen.has(name)) continue
    seen.add(name)
    out.push({
      name,
      description: p.integration.description ?? p.description ?? '',
      category: p.integration.category,
      status: p.enabled && p.status === 'started' ? 'Active' : 'Available',
    })
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

export function integrationSettings(list: Integration[]): Record<string, { enabled: boolean; category: IntegrationCategory; status: IntegrationStatus }> {
  return Object.fromEntries(list.map((i) => [i.name, { enabled: i.status === 'Active', category: i.category, status: i.status }]))
}
