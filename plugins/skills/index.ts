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
import { definePlugin, domainGroup, domainProjects, itemSlug, type Item } from '@revka/plugin-sdk'
import { preview, SKILL_KINDS, skillBody, skillContent, skillOf, skillRevision } from './skill-shape.js'

export default definePlugin({
  setup(api) {
    const space = () => `/${domainProjects(api.gateway).memory}/Skills`
    const skills = domainGroup(api, { base: '/api/skills', space, kinds: SKILL_KINDS, noun: 'skill' })
    const store = skills.store
    const full = async (item: Item) => {
      const rev = await store().currentRevision(item.kref)
      return skillOf(item, rev, await skillContent(store(), rev))
    }

    skills.addList({
      key: 'skills',
      description: 'skills, paged (include_deprecated, q full-text over skill and skilldef, page, per_page 1..50)',
      row: (i, rev) => skillOf(i, rev, preview(rev?.metadata.content ?? '')),
    })

    skills.addGet({ description: 'one skill with its full SKILL.md content', answer: async (item) => ({ skill: await full(item) }) })

    skills.addCreate({
      description: 'create a skill: item slugify(name), revision 1 (SKILL.md artifact) tagged published → 201 {skill}',
      body: skillBody,
      create: async (b) => {
        const { item, revision } = await store().createItem({ space_path: space(), item_name: itemSlug(b.name), kind: 'skill', revision: skillRevision(b) })
        return { skill: skillOf(item, revision, b.content) }
      },
    })

    skills.addUpdate({
      description: 'update a skill: a new revision with its SKILL.md, published moved onto it',
      body: skillBody,
      update: async (item, b) => ({ skill: skillOf(item, await store().createRevision(item.kref, skillRevision(b)), b.content) }),
    })

    skills.addDeprecate({ description: 'set or clear the soft-hide flag: {kref, deprecated} → {skill}', answer: async (item) => ({ skill: await full(item) }) })
    skills.addDelete({ description: 'hard delete of a skill (its SKILL.md files too) → 204' })
  },
})
