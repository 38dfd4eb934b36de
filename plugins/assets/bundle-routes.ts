/**
 * Bundles of the Asset Browser (§11): list them across a project, create one, list members with
 * their item and revisions, add and remove members. Canon bundles (leaf name equal to or ending in
 * `-main-canon`, `-current-character-states`, `-active-storylines`, `-active-foreshadow`) change
 * only with `allow_protected: true`.
 */
import { httpError, isSafeSegment, parseKref, parseSpacePath, type DomainStore, type Item, type RouteAdder } from '@revka/plugin-sdk'
import { jsonBody, krefField, metadataField, optionalBool, queryStr, required } from './fields.js'
import { ASSET_LIMITS } from './limits.js'

const PROTECTED_SUFFIXES = ['main-canon', 'current-character-states', 'active-storylines', 'active-foreshadow']

export function isProtectedBundle(kref: string): boolean {
  const name = parseKref(kref).name
  return PROTECTED_SUFFIXES.some((s) => name === s || name.endsWith(`-${s}`))
}

async function allBundles(s: DomainStore, spacePath: string, recursive: boolean): Promise<Item[]> {
  const out: Item[] = []
  const limit = s.limits.maxPageSize
  for (let offset = 0; ; offset += limit) {
    const page = await s.listItems({ space_path: spacePath, recursive, kinds: ['bundle'], limit, offset })
    out.push(...page.items)
    if (page.items.length < limit || out.length >= page.total) return out
  }
}

export function addBundleRoutes(routes: RouteAdder, store: () => DomainStore): void {
  routes.add({
    method: 'GET',
    url: '/api/assets/bundles',
    auth: 'bearer',
    ...ASSET_LIMITS,
    description: "?project&space_path → {bundles}: the project's bundles (or one space's), by name then kref",
    handler: async (req) => {
      const project = (queryStr(req.query, 'project') ?? '').trim()
      if (!project) throw httpError(400, 'field_required', 'project is required')
      if (!isSafeSegment(project)) throw httpError(400, 'kref_invalid', 'Malformed project name', { extra: { error_code: 'kref_invalid' } })
      const root = `/${project}`
      const raw = queryStr(req.query, 'space_path')?.trim()
      const s = store()
      let bundles: Item[]
      if (raw) {
        const path = parseSpacePath(raw).path
        if (path !== root && !path.startsWith(`${root}/`)) throw httpError(400, 'space_outside_project', 'space_path must belong to the selected project')
        bundles = await allBundles(s, path, false)
      } else {
        bundles = (await s.getProject(project)) ? await allBundles(s, root, true) : []
      }
      bundles.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.kref < b.kref ? -1 : a.kref > b.kref ? 1 : 0))
      return { bundles }
    },
  })

  routes.add({
    method: 'POST',
    url: '/api/assets/bundles',
    auth: 'bearer',
    ...ASSET_LIMITS,
    description: '{space_path, bundle_name, metadata?} → {bundle}; 409 when it exists',
    handler: async (req) => {
      const b = jsonBody(req)
      const space_path = parseSpacePath(required(b, 'space_path', 'space path')).path
      const item_name = required(b, 'bundle_name', 'bundle name')
      return { bundle: (await store().createItem({ space_path, item_name, kind: 'bundle', metadata: metadataField(b) })).item }
    },
  })

  routes.add({
    method: 'GET',
    url: '/api/assets/bundles/members',
    auth: 'bearer',
    ...ASSET_LIMITS,
    description: '?bundle_kref → {members:[{membership, item, latest_revision, current_revision, error}], total_count}',
    handler: async (req) => {
      const bundleKref = (queryStr(req.query, 'bundle_kref') ?? '').trim()
      if (!bundleKref) throw httpError(400, 'field_required', 'bundle kref is required')
      parseKref(bundleKref)
      const s = store()
      if (!(await s.getItem(bundleKref))) throw httpError(404, 'not_found', 'bundle not found', { extra: { error_code: 'not_found' } })
      const { members, total_count } = await s.listBundleMembers(bundleKref)
      const details = await Promise.all(
        members.map(async (membership) => {
          try {
            const item = await s.getItem(membership.item_kref)
            if (!item) return { membership, item: null, latest_revision: null, current_revision: null, error: 'item not found' }
            const [latest, current] = await Promise.all([s.currentRevision(item.kref, 'latest'), s.getRevision(`${item.kref}?t=current`)])
            return { membership, item, latest_revision: latest, current_revision: current, error: null }
          } catch (e) {
            return { membership, item: null, latest_revision: null, current_revision: null, error: (e as Error).message }
          }
        }),
      )
      return { members: details, total_count }
    },
  })

  for (const method of ['POST', 'DELETE'] as const) {
    routes.add({
      method,
      url: '/api/assets/bundles/members',
      auth: 'bearer',
      ...ASSET_LIMITS,
      description: `{bundle_kref, item_kref, metadata?, allow_protected?} → {result}: ${method === 'POST' ? 'add' : 'remove'} a member; canon bundles need allow_protected (403)`,
      handler: async (req) => {
        const b = jsonBody(req)
        const bundleKref = krefField(b, 'bundle_kref', 'bundle kref')
        const itemKref = krefField(b, 'item_kref', 'item kref')
        metadataField(b)
        if (isProtectedBundle(bundleKref) && !optionalBool(b, 'allow_protected')) {
          throw httpError(403, 'protected_bundle', 'protected canon bundles require explicit confirmation')
        }
        const s = store()
        if (method === 'POST') return { result: await s.addBundleMember(bundleKref, itemKref, { added_by: req.auth.deviceId ?? 'revka-asset-browser' }) }
        if (!(await s.removeBundleMember(bundleKref, itemKref)))
          throw httpError(404, 'not_found', 'item is not a member of the bundle', { extra: { error_code: 'not_found' } })
        return { result: { success: true, bundle_kref: bundleKref, item_kref: itemKref } }
      },
    })
  }
}
