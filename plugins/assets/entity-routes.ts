/**
 * Asset Browser writes on projects, spaces, items, revisions, tags and edges (§11). Each answers
 * the entity wrapped (`{project}`, `{item}`, …); store refusals (400 kref_invalid, 404, 409, 413,
 * 507) pass through with `error_code`.
 */
import { httpError, isSafeSegment, parseSpacePath, type DomainStore, type RouteAdder } from '@revka/plugin-sdk'
import { jsonBody, krefField, metadataField, optional, required, requiredBool, tagField } from './fields.js'
import { ASSET_LIMITS } from './limits.js'

export function addEntityRoutes(routes: RouteAdder, store: () => DomainStore): void {
  const post = (url: string, description: string, handler: (b: Record<string, unknown>, s: DomainStore) => Promise<unknown>) =>
    routes.add({ method: 'POST', url, auth: 'bearer', ...ASSET_LIMITS, description, handler: (req) => handler(jsonBody(req), store()) })

  post('/api/assets/projects', '{name, description?} → {project} (an existing one is returned)', async (b, s) => {
    const name = required(b, 'name', 'project name')
    if (!isSafeSegment(name)) throw httpError(400, 'invalid_name', 'project name must not contain "/", "\\", "?", "&", "#" or be "." or ".."')
    const description = optional(b, 'description')
    return { project: (await s.ensureProject(name, { description })).project }
  })

  post('/api/assets/spaces', '{parent_path, name} → {space} (an existing one is returned)', async (b, s) => {
    const parent = parseSpacePath(required(b, 'parent_path', 'parent path')).path
    const name = required(b, 'name', 'space name')
    if (!isSafeSegment(name)) throw httpError(400, 'invalid_name', 'space name must not contain "/", "\\", "?", "&", "#" or be "." or ".."')
    return { space: (await s.ensureSpace(`${parent}/${name}`)).space }
  })

  post('/api/assets/items', '{space_path, item_name, kind, metadata?} → {item}; 409 when it exists', async (b, s) => {
    const space_path = parseSpacePath(required(b, 'space_path', 'space path')).path
    const item_name = required(b, 'item_name', 'item name')
    const kind = required(b, 'kind', 'item kind')
    return { item: (await s.createItem({ space_path, item_name, kind, metadata: metadataField(b) })).item }
  })

  post('/api/assets/items/deprecate', '{kref, deprecated} → {item}', async (b, s) => {
    const kref = krefField(b, 'kref', 'item kref')
    return { item: await s.setItemDeprecated(kref, requiredBool(b, 'deprecated')) }
  })

  post('/api/assets/revisions', '{item_kref, metadata?} → {revision} (not tagged)', async (b, s) => {
    const kref = krefField(b, 'item_kref', 'item kref')
    return { revision: await s.createRevision(kref, { metadata: metadataField(b) }) }
  })

  post('/api/assets/revisions/deprecate', '{kref, deprecated} → {revision}', async (b, s) => {
    const kref = krefField(b, 'kref', 'revision kref')
    return { revision: await s.setRevisionDeprecated(kref, requiredBool(b, 'deprecated')) }
  })

  post('/api/assets/revisions/publish', '{kref} → {revision} tagged published', async (b, s) => {
    const kref = krefField(b, 'kref', 'revision kref')
    await s.tagRevision(kref, 'published')
    return { revision: await s.getRevision(kref) }
  })

  for (const method of ['POST', 'DELETE'] as const) {
    routes.add({
      method,
      url: '/api/assets/revisions/tags',
      auth: 'bearer',
      ...ASSET_LIMITS,
      description: `{kref, tag} → {revision}; ${method === 'POST' ? 'tag' : 'untag'}; the current tag is refused (403)`,
      handler: async (req) => {
        const b = jsonBody(req)
        const kref = krefField(b, 'kref', 'revision kref')
        const tag = tagField(b)
        if (tag === 'current') {
          throw httpError(403, 'current_tag_protected', `${method === 'POST' ? 'moving' : 'removing'} the current tag is high-risk; use kumiho_patch_apply`)
        }
        const s = store()
        if (method === 'POST') await s.tagRevision(kref, tag)
        else await s.untagRevision(kref, tag)
        return { revision: await s.getRevision(kref) }
      },
    })
  }

  post('/api/assets/edges', '{source_kref, target_kref, edge_type, metadata?} (revision krefs) → {edge}; 409 duplicate', async (b, s) => {
    const source_kref = krefField(b, 'source_kref', 'source revision kref')
    const target_kref = krefField(b, 'target_kref', 'target revision kref')
    const edge_type = required(b, 'edge_type', 'edge type')
    if (!/^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/.test(edge_type))
      throw httpError(400, 'invalid_edge_type', 'edge type must be 1–64 letters, digits, "_", ".", ":" or "-", starting with a letter')
    return { edge: await s.createEdge({ source_kref, target_kref, edge_type, metadata: metadataField(b) }) }
  })
}
