/**
 * Revisions and tags on PostgreSQL. A revision is numbered under its item's row lock (SELECT …
 * FOR UPDATE), so two nodes adding a revision to one item at once get consecutive numbers, and is
 * written with its tags, artifacts, artifact bodies and full-text row in that one transaction.
 * Tags are per-item pointers (primary key (item, tag), moved with ON CONFLICT); `latest` is virtual.
 */
import { parseKref, type Kref, type Revision, type RevisionChoice, type RevisionInput, type SqlQueryable } from '@revka/plugin-sdk'
import { artifactRel } from './artifact-files.js'
import { PG_REVISION_COLUMNS, type PgCore } from './pg-core.js'
import type { BodyRef, LocalCopies } from './pg-files.js'
import { ftsRevision } from './pg-search.js'
import { checkBytesTotal, checkRevision, checkTag, ownedBytes, revisionMetadata, type CheckedArtifact } from './revision-input.js'
import type { ItemRow } from './rules.js'

/** Add `adding` bytes (replacing `replacing`) to the store's files: 507 past the total quota. */
export async function addBytes(c: PgCore, q: SqlQueryable, adding: number, replacing = 0): Promise<void> {
  if (adding === 0 && replacing === 0) return
  const total = await c.bump(q, 'artifact_bytes', adding - replacing)
  checkBytesTotal(c, total - adding + replacing, adding, replacing)
}

/** Insert one artifact (and its body) of revision `revId`; an owned body is returned for the local copy. */
export async function insertArtifact(c: PgCore, q: SqlQueryable, revId: number, rel: string, a: CheckedArtifact): Promise<BodyRef | null> {
  const r = await q.query<{ id: number }>(
    'INSERT INTO store_artifacts (revision_id, name, location, owned_size, created_at, metadata) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
    [revId, a.input.name, a.bytes ? rel : a.input.location, a.bytes ? a.bytes.length : null, c.iso(), a.metadata],
  )
  if (!a.bytes) return null
  const id = r.rows[0].id
  const b = await q.query<{ version: string }>('INSERT INTO store_artifact_bodies (artifact_id, body) VALUES ($1, $2) RETURNING version::text AS version', [
    id,
    a.bytes,
  ])
  return { artifact_id: id, rel, version: b.rows[0].version, bytes: a.bytes }
}

/**
 * Check and insert revision `number` of `item` (inside the caller's transaction, item row locked);
 * the bodies written are pushed onto `bodies`. Returns the new revision's id and metadata.
 */
export async function insertRevision(
  c: PgCore,
  q: SqlQueryable,
  k: Kref,
  item: ItemRow,
  number: number,
  input: RevisionInput,
  bodies: BodyRef[],
): Promise<{ id: number; metadata: string }> {
  const checked = checkRevision(c, number, input)
  const adding = ownedBytes(checked)
  await addBytes(c, q, adding)
  const metadata = revisionMetadata(c, input, checked, (name) => artifactRel(k, number, name))
  const ownedKeys = checked.artifacts.filter((a) => a.bytes && a.input.location_metadata_key !== undefined).map((a) => a.input.location_metadata_key!)
  const r = await q.query<{ id: number }>(
    'INSERT INTO store_revisions (item_id, number, created_at, author, username, metadata, owned_keys) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
    [item.id, number, c.iso(), checked.author, checked.username, metadata, ownedKeys.length ? JSON.stringify(ownedKeys) : null],
  )
  const id = r.rows[0].id
  for (const t of checked.tags) await setTag(q, item.id, t, id)
  for (const a of checked.artifacts) {
    const body = await insertArtifact(c, q, id, artifactRel(k, number, a.input.name), a)
    if (body) bodies.push(body)
  }
  return { id, metadata }
}

function setTag(q: SqlQueryable, itemId: number, tag: string, revId: number) {
  return q.query(
    'INSERT INTO store_tags (item_id, tag, revision_id) VALUES ($1, $2, $3) ON CONFLICT (item_id, tag) DO UPDATE SET revision_id = EXCLUDED.revision_id',
    [itemId, tag, revId],
  )
}

export async function createRevision(c: PgCore, copies: LocalCopies, kref: string, input: RevisionInput): Promise<Revision> {
  const bodies: BodyRef[] = []
  const rev = await c.sql.transaction(async (q) => {
    // the item's row lock orders the revisions of one item across nodes
    const { k, row } = await c.requireItem(q, kref, true)
    const prev = (
      await q.query<{ number: number; metadata: string }>('SELECT number, metadata FROM store_revisions WHERE item_id = $1 ORDER BY number DESC LIMIT 1', [
        row.id,
      ])
    ).rows[0]
    const { id, metadata } = await insertRevision(c, q, k, row, (prev?.number ?? 0) + 1, input ?? {}, bodies)
    await ftsRevision(q, row, metadata, prev?.metadata ?? null)
    return c.revision(row, await c.revisionById(q, id))
  })
  copies.wrote(bodies)
  return rev
}

export async function getRevision(c: PgCore, kref: string): Promise<Revision | null> {
  const k = parseKref(kref)
  const item = await c.itemRow(c.sql, k)
  if (!item) return null
  const rev = await c.revisionRow(c.sql, item.id, k)
  return rev ? c.revision(item, rev) : null
}

export async function currentRevision(c: PgCore, kref: string, choice: RevisionChoice = 'published-or-latest'): Promise<Revision | null> {
  const k = parseKref(kref)
  const item = await c.itemRow(c.sql, k)
  if (!item) return null
  const rev = (choice === 'latest' ? undefined : await c.revisionRow(c.sql, item.id, { tag: 'published' })) ?? (await c.revisionRow(c.sql, item.id, {}))
  return rev ? c.revision(item, rev) : null
}

export async function listRevisions(c: PgCore, kref: string): Promise<Revision[]> {
  const { row } = await c.requireItem(c.sql, kref)
  const r = await c.sql.query(`SELECT ${PG_REVISION_COLUMNS} FROM store_revisions r WHERE r.item_id = $1 ORDER BY r.number`, [row.id])
  return r.rows.map((rev) => c.revision(row, rev as never))
}

export async function setRevisionDeprecated(c: PgCore, kref: string, deprecated: boolean): Promise<Revision> {
  const { item, rev } = await c.requireRevision(c.sql, kref)
  await c.sql.query('UPDATE store_revisions SET deprecated = $1 WHERE id = $2', [Boolean(deprecated), rev.id])
  return c.revision(item, await c.revisionById(c.sql, rev.id))
}

export async function tagRevision(c: PgCore, kref: string, tag: string): Promise<Revision> {
  checkTag(tag)
  const { item, rev } = await c.requireRevision(c.sql, kref)
  await setTag(c.sql, item.id, tag, rev.id)
  return c.revision(item, await c.revisionById(c.sql, rev.id))
}

export async function untagRevision(c: PgCore, kref: string, tag: string): Promise<Revision> {
  checkTag(tag)
  const { item, rev } = await c.requireRevision(c.sql, kref)
  await c.sql.query('DELETE FROM store_tags WHERE item_id = $1 AND tag = $2 AND revision_id = $3', [item.id, tag, rev.id])
  return c.revision(item, await c.revisionById(c.sql, rev.id))
}
