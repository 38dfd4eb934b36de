/**
 * The routes every domain item group (agents, skills, teams…) answers the same way (DOMAIN.md §3,
 * §4, §6): the kind/space check behind a kref, the paged list, one item, create, update, the
 * soft-hide flag, the hard delete and the avatar upload/file pair. A group declares its space, kinds and noun once; what differs per group (the wire shape
 * of a row, what a delete also removes) stays in the plugin as a callback.
 */
import { httpError } from './errors.js'
import { domainError } from './domain-errors.js'
import { DomainStoreRef } from './domain-store.js'
import type { DomainStore, Item, Revision } from './domain-store.js'
import { itemKrefParam, itemPage, listQuery, typedBody } from './domain-http.js'
import { slugify } from './kref.js'
import { reply } from './reply.js'
import { AVATAR_MAX_BYTES, avatarFileReply, avatarRevision, readAvatarUpload } from './avatar.js'
import type { RevkaRequest, RouteAdder, ServiceAccess } from './types.js'

/** What a group is: its list URL, its space, the item kinds it owns and the noun its errors use. */
export interface DomainGroupSpec {
  /** the list URL, e.g. `/api/agents`; the other routes hang below it */
  base: string
  /** the space path, read per request (the `[kumiho]` project names are config) */
  space: () => string
  /** the item kinds of the group (legacy kinds included) */
  kinds: readonly string[]
  /** singular, for `<noun> not found` */
  noun: string
}

/** One group's store access, kref check and shared route declarations. */
export interface DomainGroup {
  /** the `domain-store` service (looked up per call: it exists once its provider started) */
  store(): DomainStore
  /** the item a kref (param or body field) names, if of the group's kinds in its space (deprecated too); else 404 `<noun> not found` */
  item(raw: unknown): Promise<Item>
  /**
   * `GET <base>`: `{<key>: rows, total_count, page, per_page}` with each item's current revision.
   * With `search: false` the `q` parameter is accepted but ignored (a plain list by name).
   */
  addList(o: { key: string; description: string; search?: boolean; row: (item: Item, rev: Revision | null) => unknown }): void
  /** `GET <base>/*`: one item, answered by `answer(item)` */
  addGet(o: { description: string; answer: (item: Item) => unknown }): void
  /** `POST <base>`: the body checked by `body` (422 before anything is written), then `create` → 201 */
  addCreate<B>(o: { description: string; body: (raw: unknown) => B; create: (b: B, req: RevkaRequest) => Promise<unknown> }): void
  /** `PUT <base>/*`: the body checked first, then the item (404), then `update` */
  addUpdate<B>(o: { description: string; body: (raw: unknown) => B; update: (item: Item, b: B, req: RevkaRequest) => Promise<unknown> }): void
  /** `POST <base>/deprecate` `{kref, deprecated}`: sets the flag, answers `answer(updated item)` */
  addDeprecate(o: { description: string; answer: (item: Item) => unknown }): void
  /** `DELETE <base>/*` → 204; `remove` defaults to the store's hard delete of the item */
  addDelete(o: { description: string; remove?: (item: Item) => Promise<void> }): void
  /**
   * `POST <base>/avatar` (multipart kref + image → a new published revision with the avatar,
   * answered by `answer(item, revision)`) and `GET <base>/avatar-file/*` (signed URLs; avatar
   * artifacts of `what` only).
   */
  addAvatar(o: { what: 'agent' | 'team'; description: string; fileDescription: string; answer: (item: Item, revision: Revision) => unknown }): void
}

/** Declare a domain item group on a plugin's facade; add its shared routes with the returned methods. */
export function domainGroup(api: { routes: RouteAdder; services: ServiceAccess }, spec: DomainGroupSpec): DomainGroup {
  const store = (): DomainStore => api.services.get(DomainStoreRef)
  const item = async (raw: unknown): Promise<Item> => {
    const found = await store().getItem(itemKrefParam(raw))
    if (!found || !spec.kinds.includes(found.kind) || found.space_path !== spec.space()) throw domainError('not_found', `${spec.noun} not found`)
    return found
  }
  return {
    store,
    item,
    addList(o) {
      api.routes.add({
        method: 'GET',
        url: spec.base,
        auth: 'bearer',
        description: o.description,
        handler: async (req: RevkaRequest) => {
          const q = listQuery(req.query)
          const s = store()
          const page = await itemPage(s, spec.space(), [...spec.kinds], o.search === false ? { ...q, q: '' } : q)
          const revs = await s.currentRevisions(page.items.map((i) => i.kref))
          return { [o.key]: page.items.map((i) => o.row(i, revs.get(i.kref) ?? null)), total_count: page.total, page: q.page, per_page: q.per_page }
        },
      })
    },
    addGet(o) {
      api.routes.add({
        method: 'GET',
        url: `${spec.base}/*`,
        auth: 'bearer',
        description: o.description,
        handler: async (req: RevkaRequest) => o.answer(await item(req.params['*'])),
      })
    },
    addCreate(o) {
      api.routes.add({
        method: 'POST',
        url: spec.base,
        auth: 'bearer',
        description: o.description,
        handler: async (req: RevkaRequest) => reply({ status: 201, body: await o.create(o.body(req.body), req) }),
      })
    },
    addUpdate(o) {
      api.routes.add({
        method: 'PUT',
        url: `${spec.base}/*`,
        auth: 'bearer',
        description: o.description,
        handler: async (req: RevkaRequest) => {
          const b = o.body(req.body)
          return o.update(await item(req.params['*']), b, req)
        },
      })
    },
    addDeprecate(o) {
      api.routes.add({
        method: 'POST',
        url: `${spec.base}/deprecate`,
        auth: 'bearer',
        description: o.description,
        handler: async (req: RevkaRequest) => {
          const b = typedBody(req.body, { required: ['kref'], bools: ['deprecated'] })
          const found = await item(b.kref)
          return o.answer(await store().setItemDeprecated(found.kref, b.deprecated))
        },
      })
    },
    addDelete(o) {
      api.routes.add({
        method: 'DELETE',
        url: `${spec.base}/*`,
        auth: 'bearer',
        description: o.description,
        handler: async (req: RevkaRequest) => {
          const found = await item(req.params['*'])
          await (o.remove ? o.remove(found) : store().deleteItem(found.kref))
          return reply({ status: 204 })
        },
      })
    },
    addAvatar(o) {
      api.routes.add({
        method: 'POST',
        url: `${spec.base}/avatar`,
        auth: 'bearer',
        stream: true,
        // the image plus the multipart framing and the kref field
        bodyLimit: AVATAR_MAX_BYTES + 64 * 1024,
        timeoutMs: 60_000,
        description: o.description,
        handler: async (req: RevkaRequest) => {
          const up = await readAvatarUpload(req, { what: o.what })
          const found = await item(up.kref)
          const s = store()
          const current = await s.currentRevision(found.kref)
          return o.answer(found, await s.createRevision(found.kref, avatarRevision(current, up, found.kref, o.what)))
        },
      })
      api.routes.add({
        method: 'GET',
        url: `${spec.base}/avatar-file/*`,
        auth: 'signed',
        description: o.fileDescription,
        handler: (req: RevkaRequest) => avatarFileReply(store(), req.params['*'] ?? '', o.what),
      })
    },
  }
}

/** The item name of a new item: `slugify(name)`; a name with no letter or digit is 400 `invalid_name`. */
export function itemSlug(name: string): string {
  const slug = slugify(name)
  if (!slug) throw httpError(400, 'invalid_name', 'name must contain a letter or digit')
  return slug
}
