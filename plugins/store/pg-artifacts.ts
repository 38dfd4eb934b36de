/**
 * Artifacts on PostgreSQL. An artifact the store writes itself keeps its bytes in
 * `store_artifact_bodies` and its location relative to the artifact root; whenever this node
 * hands out such a location (get, list, find, containedArtifactPath) its local copy is brought up
 * to date first, so a route plugin reading the path gets the bytes any node last wrote.
 * `file.overwrite: false` never refuses here: it guards against an orphan file of a failed write,
 * and a body commits with its row or not at all, so there are no orphans (a stale local copy where
 * a new file goes is simply replaced).
 */
import { domainError, parseKref, type Artifact, type ArtifactFile, type ArtifactInput, type SqlQueryable } from '@revka/plugin-sdk'
import { artifactRel, containedPath } from './artifact-files.js'
import { ARTIFACT_COLUMNS, ITEM_COLUMNS, type PgCore } from './pg-core.js'
import type { BodyRef, LocalCopies } from './pg-files.js'
import { addBytes, insertArtifact } from './pg-revisions.js'
import { checkFileSizes, checkRevision, fileBytes } from './revision-input.js'
import { quotaError, type ArtifactRow, type ItemRow } from './rules.js'

type BodyRow = ArtifactRow & { body_version: string | null }

const ROW = `${ARTIFACT_COLUMNS}, b.version::text AS body_version`
const WITH_BODY = 'store_artifacts a LEFT JOIN store_artifact_bodies b ON b.artifact_id = a.id'

/** the local copies of these rows' owned files, refreshed */
function refresh(copies: LocalCopies, rows: BodyRow[]): Promise<void> {
  return copies.refresh(rows.filter((r) => r.body_version !== null).map((r) => ({ artifact_id: r.id, rel: r.location, version: r.body_version! })))
}

export async function createArtifact(c: PgCore, copies: LocalCopies, revisionKref: string, input: ArtifactInput): Promise<Artifact> {
  const bodies: BodyRef[] = []
  const out = await c.sql.transaction(async (q) => {
    // the item's row lock orders the artifacts of its revisions (count bound, unique names)
    const { k, item, rev } = await c.requireRevision(q, revisionKref, true)
    if ((await c.count(q, 'SELECT COUNT(*) AS n FROM store_artifacts WHERE revision_id = $1', [rev.id])) >= c.limits.maxArtifactsPerRevision)
      throw quotaError(`A revision holds at most ${c.limits.maxArtifactsPerRevision} artifacts`, c.limits.maxArtifactsPerRevision)
    if (input && (await q.query('SELECT 1 FROM store_artifacts WHERE revision_id = $1 AND name = $2', [rev.id, input.name])).rows.length)
      throw domainError('conflict', `The revision already has an artifact named "${input.name}"`)
    const a = checkRevision(c, rev.number, { artifacts: [input] }).artifacts[0]
    if (a.bytes) await addBytes(c, q, a.bytes.length)
    const body = await insertArtifact(c, q, rev.id, artifactRel(k, rev.number, a.input.name), a)
    if (body) bodies.push(body)
    const row = (
      await q.query<ArtifactRow>(`SELECT ${ARTIFACT_COLUMNS} FROM store_artifacts a WHERE a.revision_id = $1 AND a.name = $2`, [rev.id, a.input.name])
    ).rows[0]
    return c.artifact(item, rev.number, row)
  })
  copies.wrote(bodies)
  return out
}

async function artifactRow(c: PgCore, q: SqlQueryable, kref: string, forUpdate = false): Promise<{ row: BodyRow; item: ItemRow; number: number } | null> {
  const k = parseKref(kref)
  if (k.artifact === undefined) throw domainError('kref_invalid', `Malformed kref "${kref}": an artifact kref needs &a=<name>`)
  const item = await c.itemRow(q, k, forUpdate)
  if (!item) return null
  const rev = await c.revisionRow(q, item.id, k)
  if (!rev) return null
  const row = (await q.query<BodyRow>(`SELECT ${ROW} FROM ${WITH_BODY} WHERE a.revision_id = $1 AND a.name = $2`, [rev.id, k.artifact])).rows[0]
  return row ? { row, item, number: rev.number } : null
}

export async function getArtifact(c: PgCore, copies: LocalCopies, kref: string): Promise<Artifact | null> {
  const f = await artifactRow(c, c.sql, kref)
  if (!f) return null
  await refresh(copies, [f.row])
  return c.artifact(f.item, f.number, f.row)
}

export async function listArtifacts(c: PgCore, copies: LocalCopies, revisionKref: string): Promise<Artifact[]> {
  const { item, rev } = await c.requireRevision(c.sql, revisionKref)
  const rows = (await c.sql.query<BodyRow>(`SELECT ${ROW} FROM ${WITH_BODY} WHERE a.revision_id = $1 ORDER BY a.name COLLATE "C"`, [rev.id])).rows
  await refresh(copies, rows)
  return rows.map((a) => c.artifact(item, rev.number, a))
}

export async function findArtifactsByLocation(
  c: PgCore,
  copies: LocalCopies,
  location: string,
  opts: { include_deprecated?: boolean } = {},
): Promise<Artifact[]> {
  // a path under this node's root is an owned file's relative location; anything else as given
  const rel = c.relOf(location)
  const rows = (
    await c.sql.query<BodyRow & { rev_number: number; rev_item: number }>(
      `SELECT ${ROW}, r.number AS rev_number, r.item_id AS rev_item FROM ${WITH_BODY} JOIN store_revisions r ON r.id = a.revision_id
        WHERE a.location = $1 AND (a.owned_size IS NOT NULL) = $2 ${opts.include_deprecated ? '' : 'AND NOT a.deprecated'} ORDER BY a.id LIMIT 100`,
      [rel ?? location, rel !== null],
    )
  ).rows
  if (!rows.length) return []
  await refresh(copies, rows)
  const items = new Map(
    (await c.sql.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM store_items i WHERE i.id = ANY($1::int[])`, [rows.map((r) => r.rev_item)])).rows.map((i) => [
      i.id,
      i,
    ]),
  )
  return rows.map((a) => c.artifact(items.get(a.rev_item)!, a.rev_number, a))
}

export async function setArtifactDeprecated(c: PgCore, kref: string, deprecated: boolean): Promise<Artifact> {
  const f = await artifactRow(c, c.sql, kref)
  if (!f) throw domainError('not_found', `Artifact not found: ${kref}`)
  await c.sql.query('UPDATE store_artifacts SET deprecated = $1 WHERE id = $2', [Boolean(deprecated), f.row.id])
  return c.artifact(f.item, f.number, { ...f.row, deprecated: Boolean(deprecated) })
}

export async function writeArtifactFile(c: PgCore, copies: LocalCopies, kref: string, file: ArtifactFile): Promise<Artifact> {
  const bytes = fileBytes(file)
  const bodies: BodyRef[] = []
  const out = await c.sql.transaction(async (q) => {
    // the item's row lock: a delete of the item counts its bytes under it
    const f = await artifactRow(c, q, kref, true)
    if (!f) throw domainError('not_found', `Artifact not found: ${kref}`)
    if (f.row.owned_size === null) throw domainError('invalid_input', 'Only artifacts whose file the store wrote can be rewritten through the store')
    checkFileSizes(c, [bytes.length])
    await addBytes(c, q, bytes.length, f.row.owned_size)
    await q.query('UPDATE store_artifacts SET owned_size = $1 WHERE id = $2', [bytes.length, f.row.id])
    const v = await q.query<{ version: string }>(
      "UPDATE store_artifact_bodies SET body = $1, version = nextval('store_artifact_body_version') WHERE artifact_id = $2 RETURNING version::text AS version",
      [bytes, f.row.id],
    )
    bodies.push({ artifact_id: f.row.id, rel: f.row.location, version: v.rows[0].version, bytes })
    return c.artifact(f.item, f.number, { ...f.row, owned_size: bytes.length })
  })
  copies.wrote(bodies)
  return out
}

/** An owned file's local copy (refreshed) when `location` names one under this node's root, symlinks resolved. */
export async function containedArtifactPath(c: PgCore, copies: LocalCopies, location: string): Promise<string | null> {
  const rel = c.relOf(location)
  if (rel === null || (await copies.path(rel)) === null) return null
  return containedPath(c, location)
}
