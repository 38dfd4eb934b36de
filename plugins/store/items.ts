/**
 * Items: create (optionally with the first revision, in the same transaction), read, list
 * (paged), deprecate (a soft-hide flag) and hard delete (cascading, and the files the store wrote
 * for them are removed after the commit).
 */
import { domainError, formatKref, parseKref, type Item, type ItemInput, type ListItemsQuery, type Page, type Revision } from '@revka/plugin-sdk'
import type { Core, ItemRow } from './core.js'
import { ensureSpaceChain, likePrefix } from './containers.js'
import { WrittenFiles, removeFiles } from './artifact-files.js'
import { insertRevision, planRevision, revisionById } from './revisions.js'
import { ftsAddItem } from './fts.js'

export function createItem(c: Core, input: ItemInput): { item: Item; revision: Revision | null } {
  const { space, name, kind, k, metadata } = c.checkItem(input)
  const files = new WrittenFiles()
  try {
    // an existing item is refused before any file is written for its "first" revision
    if (c.itemRow(k)) throw domainError('conflict', `Item already exists: ${formatKref(k)}`)
    if (c.itemCount >= c.limits.maxItems)
      throw domainError('quota_exceeded', `The store holds its maximum of ${c.limits.maxItems} items`, { limit: c.limits.maxItems })
    const inSpace = c.itemsInSpace(space.path)
    if (inSpace >= c.limits.maxItemsPerSpace) {
      throw domainError('quota_exceeded', `The space ${space.path} holds its maximum of ${c.limits.maxItemsPerSpace} items`, {
        limit: c.limits.maxItemsPerSpace,
      })
    }
    const plan = input.revision ? planRevision(c, k, 1, input.revision, files) : null
    const { row, revId } = c.db.transaction(() => {
      const { projectId } = ensureSpaceChain(c, space.path, input)
      // the row as inserted is known here: it is not read back
      const row: ItemRow = {
        id: 0,
        project_id: projectId,
        space_path: space.path,
        item_name: name,
        kind,
        deprecated: 0,
        created_at: c.iso(),
        author: input.author ?? null,
        username: input.username ?? null,
        metadata,
      }
      const info = c
        .stmt('INSERT INTO items (project_id, space_path, item_name, kind, created_at, author, username, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(row.project_id, row.space_path, row.item_name, row.kind, row.created_at, row.author, row.username, row.metadata)
      row.id = Number(info.lastInsertRowid)
      ftsAddItem(c, row.id, row, plan ? plan.metadata : null)
      return { row, revId: plan ? insertRevision(c, row, plan) : null }
    })()
    c.itemCount++
    c.spaceCounts.set(space.path, inSpace + 1)
    c.listCounts.clear()
    return { item: c.item(row), revision: revId === null ? null : c.revision(row, revisionById(c, revId)) }
  } catch (e) {
    files.undo()
    throw e
  }
}

export function getItem(c: Core, kref: string): Item | null {
  const row = c.itemRow(parseKref(kref))
  return row ? c.item(row) : null
}

export function listItems(c: Core, q: ListItemsQuery): Page<Item> {
  const space = c.spacePath(q.space_path).path
  const where: string[] = []
  const args: unknown[] = []
  if (q.recursive) {
    where.push("(space_path = ? OR space_path LIKE ? ESCAPE '\\')")
    args.push(space, likePrefix(space) + '/%')
  } else {
    where.push('space_path = ?')
    args.push(space)
  }
  if (q.kinds?.length) {
    where.push(`kind IN (${q.kinds.map(() => '?').join(',')})`)
    args.push(...q.kinds)
  }
  if (!q.include_deprecated) where.push('deprecated = 0')
  if (q.name_filter) {
    where.push("item_name LIKE ? ESCAPE '\\'")
    args.push('%' + likePrefix(String(q.name_filter)) + '%')
  }
  const cond = where.join(' AND ')
  const countSql = `SELECT COUNT(*) AS n FROM items WHERE ${cond}`
  const key = countSql + '\u0000' + JSON.stringify(args)
  let total = c.listCounts.get(key)
  if (total === undefined) {
    total = (c.stmt(countSql).get(...args) as { n: number }).n
    c.cacheListCount(key, total)
  }
  const { offset, limit } = c.paging(q)
  const order = q.sort === 'recent' ? 'created_at DESC, id DESC' : 'item_name, kind'
  // the offset is walked on the index alone (ids), and only the page's rows are read: a deep page
  // of a large space would otherwise read every skipped row from the table
  const rows = c
    .stmt(`SELECT * FROM items WHERE id IN (SELECT id FROM items WHERE ${cond} ORDER BY ${order} LIMIT ? OFFSET ?) ORDER BY ${order}`)
    .all(...args, limit, offset) as ItemRow[]
  return { items: rows.map((r) => c.item(r)), total }
}

export function setItemDeprecated(c: Core, kref: string, deprecated: boolean): Item {
  if (typeof deprecated !== 'boolean') throw domainError('invalid_input', 'deprecated must be a boolean')
  const { row } = c.requireItem(kref)
  c.stmt('UPDATE items SET deprecated = ? WHERE id = ?').run(deprecated ? 1 : 0, row.id)
  c.listCounts.clear()
  return c.item({ ...row, deprecated: deprecated ? 1 : 0 })
}

export function deleteItem(c: Core, kref: string): void {
  const { row } = c.requireItem(kref)
  const owned = c
    .stmt('SELECT a.location FROM artifacts a JOIN revisions r ON r.id = a.revision_id WHERE r.item_id = ? AND a.owned_size IS NOT NULL')
    .all(row.id) as Array<{ location: string }>
  const inSpace = c.itemsInSpace(row.space_path)
  c.db.transaction(() => {
    c.stmt('DELETE FROM items WHERE id = ?').run(row.id)
    c.stmt('DELETE FROM items_fts WHERE rowid = ?').run(row.id)
  })()
  c.itemCount--
  c.spaceCounts.set(row.space_path, inSpace - 1)
  c.listCounts.clear()
  c.edgeCount = null
  removeFiles(owned.map((o) => o.location))
}
