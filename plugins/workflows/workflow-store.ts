/**
 * Workflows in the domain store (DOMAIN §2): items of kind `workflow` named `slugify(name)` in
 * `/<harness>/Workflows`; each save is a revision whose artifact `workflow.yaml` (a file the store
 * writes under its own directory) holds the YAML. The metadata never carries the YAML.
 */
import { readFile } from 'node:fs/promises'
import { domainError, isDomainError, itemKrefParam, type DomainStore, type Item, type Revision, type RevisionInput } from '@revka/plugin-sdk'
import { countSteps } from './workflow-shape.js'

export const WORKFLOW_KIND = 'workflow'
export const YAML_ARTIFACT = 'workflow.yaml'
/** what full-text search sees besides the name: description and tags, not the YAML */
const SEARCH_TEXT_MAX = 2000

export interface SaveBody {
  name: string
  description: string
  definition: string
  tags?: string[] | null
}

export function revisionInput(b: SaveBody, tags: string[]): RevisionInput {
  const tagCsv = (b.tags ?? [])
    .map((t) => t.trim())
    .filter(Boolean)
    .join(',')
  return {
    metadata: {
      display_name: b.name,
      description: b.description,
      created_by: 'revka-dashboard',
      steps: String(countSteps(b.definition)),
      tags: tagCsv,
      _search_text: `${b.name} ${b.description} ${tagCsv}`.slice(0, SEARCH_TEXT_MAX),
    },
    tags,
    artifacts: [{ name: YAML_ARTIFACT, file: { content: b.definition }, metadata: { kind: 'workflow_yaml' } }],
  }
}

/** The revision's `workflow.yaml`, or null when it is missing or unreadable (the item is then skipped). */
export async function readYaml(store: DomainStore, rev: Revision | null): Promise<string | null> {
  if (!rev) return null
  try {
    const art = await store.getArtifact(`${rev.kref}&a=${YAML_ARTIFACT}`)
    if (!art) return null
    const path = await store.containedArtifactPath(art.location)
    return path ? await readFile(path, 'utf8') : null
  } catch {
    return null
  }
}

/** The workflow item a path or body kref names; anything else (another space, kind) is 404. */
export async function workflowItem(store: DomainStore, space: string, raw: unknown): Promise<Item> {
  const item = await store.getItem(itemKrefParam(raw))
  if (!item || item.kind !== WORKFLOW_KIND || item.space_path !== space) throw domainError('not_found', 'workflow not found')
  return item
}

/** Up to `max` workflow items of the space (or the search hits for `q`), by name; a missing space lists none. */
export async function listWorkflowItems(store: DomainStore, space: string, o: { q: string; includeDeprecated: boolean; max: number }): Promise<Item[]> {
  const out: Item[] = []
  const page = Math.max(1, store.limits.maxPageSize)
  try {
    while (out.length < o.max) {
      const limit = Math.min(page, o.max - out.length)
      const got = o.q
        ? (
            await store.search({
              query: o.q,
              context: space,
              kinds: [WORKFLOW_KIND],
              include_deprecated: o.includeDeprecated,
              include_revision_metadata: false,
              offset: out.length,
              limit,
            })
          ).items.map((h) => h.item)
        : (await store.listItems({ space_path: space, kinds: [WORKFLOW_KIND], include_deprecated: o.includeDeprecated, offset: out.length, limit })).items
      out.push(...got)
      if (got.length < limit) break
    }
  } catch (err) {
    if (isDomainError(err, 'not_found')) return out
    throw err
  }
  return out
}
