/**
 * Revisions and tags. A revision is written with its tags and artifacts in one transaction;
 * its artifact files are written (atomically) first and removed if the transaction fails.
 * Tags are per-item pointers (the tags table's key is (item, tag)); `latest` is virtual.
 */
import { domainError, parseKref, type Kref, type Revision, type RevisionChoice, type RevisionInput } from '@revka/plugin-sdk'
import { existsSync } from 'node:fs'
import type { Core, ItemRow, RevisionRow } from './core.js'
import { REVISION_COLUMNS } from './core.js'
import { artifactPath, checkArtifactBytes, WrittenFiles } from './artifact-files.js'
import { ftsAddRevision } from './fts.js'
import { checkRevision, checkTag, ownedBytes, revisionMetadata } from './revision-input.js'

interface PlannedArtifact {
  name: string
  location: string
  owned_size: number | null
  metadata: string
}
export interface PlannedRevision {
  number: number
  metadata: string
  tags: string[]
  artifacts: PlannedArtifact[]
  author: string | null
  username: string | null
}

/** Validate a revision and write its own artifact files; nothing in the database changes yet. */
export function planRevision(c: Core, k: Kref, number: number, input: RevisionInput, files: WrittenFiles): PlannedRevision {
  const checked = checkRevision(c, number, input)
  checkArtifactBytes(c, ownedBytes(checked))
  const metadata = revisionMetadata(c, input, checked, (name) => artifactPath(c, k, number, name))
  const planned: PlannedArtifact[] = checked.artifacts.map(({ input: a, bytes: b, metadata: meta }) => {
    if (!b) return { name: a.name, location: a.location!, owned_size: null, metadata: meta }
    const path = artifactPath(c, k, number, a.name)
    if (a.file!.overwrite === false && existsSync(path)) throw domainError('conflict', 'artifact file already exists; enable overwrite to replace it')
    files.write(path, b)
    return { name: a.name, location: path, owned_size: b.length, metadata: meta }
  })
  return { number, metadata, tags: checked.tags, artifacts: planned, author: checked.author, username: checked.username }
}

/** Insert a planned revision (call inside a transaction); the caller keeps the full-text row. */
export function insertRevision(c: Core, item: ItemRow, p: PlannedRevision): number {
  const info = c
    .stmt('INSERT INTO revisions (item_id, number, created_at, author, username, metadata) VALUES (?, ?, ?, ?, ?, ?)')
    .run(item.id, p.number, c.iso(), p.author, p.username, p.metadata)
  const revId = Number(info.lastInsertRowid)
  const tag = c.stmt(
    'INSERT INTO tags (item_id, tag, revision_id) VALUES (?, ?, ?) ON CONFLICT (item_id, tag) DO UPDATE SET revision_id = excluded.revision_id',
  )
  for (const t of p.tags) tag.run(item.id, t, revId)
  const art = c.stmt('INSERT INTO artifacts (revision_id, name, location, owned_size, created_at, metadata) VALUES (?, ?, ?, ?, ?, ?)')
  for (const a of p.artifacts) art.run(revId, a.name, a.location, a.owned_size, c.iso(), a.metadata)
  return revId
}

export function nextNumber(c: Core, itemId: number): number {
  return ((c.stmt('SELECT MAX(number) AS n FROM revisions WHERE item_id = ?').get(itemId) as { n: number | null }).n ?? 0) + 1
}

export function createRevision(c: Core, kref: string, input: RevisionInput): Revision {
  const { k, row } = c.requireItem(kref)
  const files = new WrittenFiles()
  try {
    const plan = planRevision(c, k, nextNumber(c, row.id), input ?? {}, files)
    const revId = c.db.transaction(() => {
      const previous = c.stmt('SELECT metadata FROM revisions WHERE item_id = ? ORDER BY number DESC LIMIT 1').get(row.id) as { metadata: string } | undefined
      const id = insertRevision(c, row, plan)
      ftsAddRevision(c, row, plan.metadata, previous?.metadata ?? null)
      return id
    })()
    return c.revision(row, revisionById(c, revId))
  } catch (e) {
    files.undo()
    throw e
  }
}

export function revisionById(c: Core, id: number): RevisionRow {
  return c.stmt(`SELECT ${REVISION_COLUMNS} FROM revisions r WHERE r.id = ?`).get(id) as RevisionRow
}

export function getRevision(c: Core, kref: string): Revision | null {
  const k = parseKref(kref)
  const item = c.itemRow(k)
  if (!item) return null
  const rev = c.revisionRow(item.id, k)
  return rev ? c.revision(item, rev) : null
}

export function currentRevision(c: Core, kref: string, choice: RevisionChoice = 'published-or-latest'): Revision | null {
  const k = parseKref(kref)
  const item = c.itemRow(k)
  if (!item) return null
  const rev = choice === 'latest' ? c.revisionRow(item.id, {}) : c.currentRow(item.id)
  return rev ? c.revision(item, rev) : null
}

export function listRevisions(c: Core, kref: string): Revision[] {
  const { row } = c.requireItem(kref)
  const rows = c.stmt(`SELECT ${REVISION_COLUMNS} FROM revisions r WHERE r.item_id = ? ORDER BY r.number`).all(row.id) as RevisionRow[]
  return rows.map((r) => c.revision(row, r))
}

export function setRevisionDeprecated(c: Core, kref: string, deprecated: boolean): Revision {
  const { item, rev } = c.requireRevision(kref)
  c.stmt('UPDATE revisions SET deprecated = ? WHERE id = ?').run(deprecated ? 1 : 0, rev.id)
  return c.revision(item, revisionById(c, rev.id))
}

export function tagRevision(c: Core, kref: string, tag: string): Revision {
  checkTag(tag)
  const { item, rev } = c.requireRevision(kref)
  c.stmt('INSERT INTO tags (item_id, tag, revision_id) VALUES (?, ?, ?) ON CONFLICT (item_id, tag) DO UPDATE SET revision_id = excluded.revision_id').run(
    item.id,
    tag,
    rev.id,
  )
  return c.revision(item, revisionById(c, rev.id))
}

export function untagRevision(c: Core, kref: string, tag: string): Revision {
  checkTag(tag)
  const { item, rev } = c.requireRevision(kref)
  c.stmt('DELETE FROM tags WHERE item_id = ? AND tag = ? AND revision_id = ?').run(item.id, tag, rev.id)
  return c.revision(item, revisionById(c, rev.id))
}
