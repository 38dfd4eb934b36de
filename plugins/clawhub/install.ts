/**
 * Installing a ClawHub skill (§5): the skill item `<slug>` (kind `skill`, the slug as-is) in
 * `/<memory_project>/Skills`, one revision with the marketplace metadata, its SKILL.md as an
 * artifact file the domain store writes, tagged `published` — all in one store transaction, so a
 * failed install leaves nothing behind.
 *
 * Deliberate difference: the reference also writes `~/.revka/workspace/skills/<slug>.md` under
 * $HOME; here the only copy is the store's artifact file (inside the state dir).
 */
import { httpError, type DomainStore } from '@revka/plugin-sdk'
import type { Upstream } from './upstream.js'

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

export interface Installed {
  installed: true
  slug: string
  name: string
  kref: string
  description: string
}

export async function installSkill(store: DomainStore, upstream: Upstream, slug: string, memoryProject: string): Promise<Installed> {
  const kref = `kref://${memoryProject}/Skills/${slug}.skill`
  if (await store.getItem(kref)) throw httpError(409, 'conflict', `skill '${slug}' is already installed (${kref})`, { extra: { error_code: 'conflict' } })
  const detail = (await upstream.json(`/api/v1/skills/${encodeURIComponent(slug)}`)) as Record<string, any>
  const md = await upstream.get(`/api/v1/skills/${encodeURIComponent(slug)}/file?path=SKILL.md&tag=latest`)
  if (md.status < 200 || md.status >= 300) throw httpError(502, 'clawhub_skill_md_missing', 'Could not fetch SKILL.md from ClawHub')
  const d = detail && typeof detail === 'object' ? detail : {}
  const name = str(d.displayName) ?? str(d.name) ?? slug
  const description = str(d.description) ?? ''
  const version = str(d.version) ?? str(d.latestVersion?.version) ?? '1.0.0'
  const { item } = await store.createItem({
    space_path: `/${memoryProject}/Skills`,
    item_name: slug,
    kind: 'skill',
    revision: {
      metadata: { description, domain: 'Other', tags: `clawhub,${slug}`, clawhub_slug: slug, clawhub_version: version, source: 'clawhub' },
      tags: ['published'],
      artifacts: [{ name: 'SKILL.md', file: { content: md.text } }],
    },
  })
  return { installed: true, slug, name, kref: item.kref, description }
}
