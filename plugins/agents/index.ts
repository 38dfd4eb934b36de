/**
 * agents — the operator's agent pool (DOMAIN.md §3) on the `domain-store` service: items of kind
 * `agent` named `slugify(name)` in `/<harness>/AgentPool`. Every save is a new revision tagged
 * `published`; reads take the published revision, else the latest. Avatars are stored by the
 * store (artifact `profile-avatar`) and served back only through signed URLs of this plugin.
 *
 * Deliberate difference: the reference signs `/workspace/<rel>` URLs for avatars; here avatar
 * files live in the store's private folder, never the shared workspace, so the signed URL is
 * `/api/agents/avatar-file/<rel>` and reaches avatar artifacts only.
 */
import { avatarUrlPath, definePlugin, domainGroup, domainProjects, itemSlug, type Item } from '@revka/plugin-sdk'
import { agentBody, agentMetadata, agentOf } from './agent-shape.js'

const AVATAR_URL_BASE = '/api/agents/avatar-file'
/** signed avatar URLs live a day, as the reference's */
const AVATAR_URL_TTL_SECS = 86_400

export default definePlugin({
  setup(api) {
    const pool = () => `/${domainProjects(api.gateway).harness}/AgentPool`
    const agents = domainGroup(api, { base: '/api/agents', space: pool, kinds: ['agent'], noun: 'agent' })
    const store = agents.store

    const avatarUrl = (location: string | undefined): string | null => {
      const path = avatarUrlPath(store(), AVATAR_URL_BASE, location)
      return path ? api.signUrl(path, AVATAR_URL_TTL_SECS) : null
    }
    const wire = async (item: Item) => agentOf(item, await store().currentRevision(item.kref), avatarUrl)

    agents.addList({
      key: 'agents',
      description: 'agents of the pool, paged (include_deprecated, q full-text, page, per_page 1..50)',
      row: (i, rev) => agentOf(i, rev, avatarUrl),
    })

    agents.addCreate({
      description: 'create an agent: item slugify(name), revision 1 tagged published → 201 {agent}',
      body: agentBody,
      create: async (b) => {
        const { item, revision } = await store().createItem({
          space_path: pool(),
          item_name: itemSlug(b.name),
          kind: 'agent',
          revision: { metadata: agentMetadata(b, null), tags: ['published'] },
        })
        return { agent: agentOf(item, revision, avatarUrl) }
      },
    })

    agents.addUpdate({
      description: 'update an agent: a new revision (full replace, avatar kept), published moved onto it',
      body: agentBody,
      update: async (item, b) => {
        const s = store()
        const current = await s.currentRevision(item.kref)
        const revision = await s.createRevision(item.kref, { metadata: agentMetadata(b, current), tags: ['published'] })
        return { agent: agentOf(item, revision, avatarUrl) }
      },
    })

    agents.addDeprecate({ description: 'set or clear the soft-hide flag: {kref, deprecated} → {agent}', answer: async (item) => ({ agent: await wire(item) }) })
    agents.addDelete({ description: 'hard delete of an agent → 204' })

    agents.addAvatar({
      what: 'agent',
      description: 'multipart kref + file (PNG/JPEG/GIF/WebP by its bytes, ≤ 5 MiB) → a new published revision with the avatar',
      fileDescription: 'an agent avatar file, for holders of a signed URL (avatar artifacts only)',
      answer: (item, revision) => ({ agent: agentOf(item, revision, avatarUrl) }),
    })
  },
})
