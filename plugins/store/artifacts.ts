/**
 * Artifacts: named per revision, pointing at a location (a path, `file://` URI or remote URI), or
 * at a file the store wrote under its own root.
 */
import { domainError, parseKref, type Artifact, type ArtifactFile, type ArtifactInput } from '@revka/plugin-sdk'
import type { ArtifactRow, Core } from './core.js'
import { WrittenFiles, checkArtifactBytes, containedPath } from './artifact-files.js'
import { checkFileSizes, fileBytes } from './revision-input.js'
import { planRevision } from './revisions.js'

export function createArtifact(c: Core, revisionKref: string, input: ArtifactInput): Artifact {
  const { k, item, rev } = c.requireRevision(revisionKref)
  const existing = c.stmt('SELECT COUNT(*) AS n FROM artifacts WHERE revision_id = ?').get(rev.id) as { n: number }
  if (existing.n >= c.limits.maxArtifactsPerRevision)
    throw domainError('quota_exceeded', `A revision holds at most ${c.limits.maxArtifactsPerRevision} artifacts`, { limit: c.limits.maxArtifactsPerRevision })
  if (input && c.stmt('SELECT 1 FROM artifacts WHERE revision_id = ? AND name = ?').get(rev.id, input.name)) {
    throw domainError('conflict', `The revision already has an artifact named "${input.name}"`)
  }
  const files = new WrittenFiles()
  try {
    // reuse the revision planner for the checks and the file write; only the artifact is inserted
    const plan = planRevision(c, k, rev.number, { artifacts: [input] }, files)
    const a = plan.artifacts[0]
    const info = c
      .stmt('INSERT INTO artifacts (revision_id, name, location, owned_size, created_at, metadata) VALUES (?, ?, ?, ?, ?, ?)')
      .run(rev.id, a.name, a.location, a.owned_size, c.iso(), a.metadata)
    return c.artifact(item, rev.number, c.stmt('SELECT * FROM artifacts WHERE id = ?').get(info.lastInsertRowid) as ArtifactRow)
  } catch (e) {
    files.undo()
    throw e
  }
}

function artifactRow(c: Core, kref: string): { row: ArtifactRow; item: import('./core.js').ItemRow; number: number } | null {
  const k = parseKref(kref)
  if (k.artifact === undefined) throw domainError('kref_invalid', `Malformed kref "${kref}": an artifact kref needs &a=<name>`)
  const item = c.itemRow(k)
  if (!item) return null
  const rev = c.revisionRow(item.id, k)
  if (!rev) return null
  const row = c.stmt('SELECT * FROM artifacts WHERE revision_id = ? AND name = ?').get(rev.id, k.artifact) as ArtifactRow | undefined
  return row ? { row, item, number: rev.number } : null
}

export function getArtifact(c: Core, kref: string): Artifact | null {
  const f = artifactRow(c, kref)
  return f ? c.artifact(f.item, f.number, f.row) : null
}

export function listArtifacts(c: Core, revisionKref: string): Artifact[] {
  const { item, rev } = c.requireRevision(revisionKref)
  const rows = c.stmt('SELECT * FROM artifacts WHERE revision_id = ? ORDER BY name').all(rev.id) as ArtifactRow[]
  return rows.map((a) => c.artifact(item, rev.number, a))
}

export function findArtifactsByLocation(c: Core, location: string, opts: { include_deprecated?: boolean } = {}): Artifact[] {
  const rows = c
    .stmt(
      `SELECT a.*, r.number AS rev_number, r.item_id AS rev_item FROM artifacts a JOIN revisions r ON r.id = a.revision_id
    WHERE a.location = ? ${opts.include_deprecated ? '' : 'AND a.deprecated = 0'} ORDER BY a.id LIMIT 100`,
    )
    .all(location) as Array<ArtifactRow & { rev_number: number; rev_item: number }>
  return rows.map((a) => c.artifact(c.stmt('SELECT * FROM items WHERE id = ?').get(a.rev_item) as import('./core.js').ItemRow, a.rev_number, a))
}

export function setArtifactDeprecated(c: Core, kref: string, deprecated: boolean): Artifact {
  const f = artifactRow(c, kref)
  if (!f) throw domainError('not_found', `Artifact not found: ${kref}`)
  c.stmt('UPDATE artifacts SET deprecated = ? WHERE id = ?').run(deprecated ? 1 : 0, f.row.id)
  return c.artifact(f.item, f.number, { ...f.row, deprecated: deprecated ? 1 : 0 })
}

export function writeArtifactFile(c: Core, kref: string, file: ArtifactFile): Artifact {
  const f = artifactRow(c, kref)
  if (!f) throw domainError('not_found', `Artifact not found: ${kref}`)
  if (f.row.owned_size === null || containedPath(c, f.row.location) === null) {
    throw domainError('invalid_input', 'Only artifacts whose file the store wrote can be rewritten through the store')
  }
  const bytes = fileBytes(file)
  checkFileSizes(c, [bytes.length])
  checkArtifactBytes(c, bytes.length, f.row.owned_size)
  new WrittenFiles().write(f.row.location, bytes)
  c.stmt('UPDATE artifacts SET owned_size = ? WHERE id = ?').run(bytes.length, f.row.id)
  return c.artifact(f.item, f.number, { ...f.row, owned_size: bytes.length })
}
