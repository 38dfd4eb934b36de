/**
 * skills — the operator's skills (DOMAIN.md §4) on the `domain-store` service: items of kind
 * `skill` named `slugify(name)` in `/<memory>/Skills` (legacy `skilldef` items are listed, read
 * and edited too). Each save is a new revision tagged `published` whose artifact `SKILL.md` holds
 * the body.
 *
 * Deliberate differences (the contract's quirks, not copied): a kref sent with `kref://` is not
 * prefixed twice; GET one answers the item's real `deprecated` and `created_at`; an update answers
 * the slug as `name`/`item_name` (not the body's display name); the body is not also written to
 * `~/.revka/workspace/skills/` — it lives in the store, next to its revision.
 */
import { definePlugin, domainGroup, domainProjects, itemSlug, reply, type Item, type RevkaRequest } from '@revka/plugin-sdk'
import { preview, SKILL_KINDS, skillBody, skillContent, skillOf, skillRevision } from './skill-shape.js'

export default definePlugin({
  setup(api) {
    const space = () => `/${domainProjects(api.gateway).memory}/Skills`
    const skills = domainGroup(api, { base: '/api/skills', space, kinds: SKILL_KINDS, noun: 'skill' })
    const store = skills.store
    const skillItem = skills.item
    const full = async (item: Item) => {
      const rev = await store().currentRevision(item.kref)
      return skillOf(item, rev, await skillContent(store(), rev))
    }

    skills.addList({
      key: 'skills',
      description: 'skills, paged (include_deprecated, q full-text over skill and skilldef, page, per_page 1..50)',
      row: (i, rev) => skillOf(i, rev, preview(rev?.metadata.content ?? '')),
    })

    api.routes.add({
      method: 'GET',
      url: '/api/skills/*',
      auth: 'bearer',
      description: 'one skill with its full SKILL.md content',
      handler: async (req: RevkaRequest) => ({ skill: await full(await skillItem(req.params['*'])) }),
    })

    api.routes.add({
      method: 'POST',
      url: '/api/skills',
      auth: 'bearer',
      description: 'create a skill: item slugify(name), revision 1 (SKILL.md artifact) tagged published → 201 {skill}',
      handler: async (req: RevkaRequest) => {
        const b = skillBody(req.body)
        const { item, revision } = await store().createItem({ space_path: space(), item_name: itemSlug(b.name), kind: 'skill', revision: skillRevision(b) })
        return reply({ status: 201, body: { skill: skillOf(item, revision, b.content) } })
      },
    })

    api.routes.add({
      method: 'PUT',
      url: '/api/skills/*',
      auth: 'bearer',
      description: 'update a skill: a new revision with its SKILL.md, published moved onto it',
      handler: async (req: RevkaRequest) => {
        const b = skillBody(req.body)
        const item = await skillItem(req.params['*'])
        const revision = await store().createRevision(item.kref, skillRevision(b))
        return { skill: skillOf(item, revision, b.content) }
      },
    })

    skills.addDeprecate({ description: 'set or clear the soft-hide flag: {kref, deprecated} → {skill}', answer: async (item) => ({ skill: await full(item) }) })
    skills.addDelete({ description: 'hard delete of a skill (its SKILL.md files too) → 204' })
  },
})
