/**
 * Projects and spaces: the containers items live in. `ensure*` is idempotent (§2) and creates
 * the whole chain (`/P/A/B` creates P, /P/A and /P/A/B), within the project and space bounds.
 */
import { domainError, type Authorship, type Metadata, type Project, type Space } from '@revka/plugin-sdk'
import type { Core } from './core.js'
import type { ProjectRow, SpaceRow } from './rules.js'

export function ensureProjectRow(c: Core, name: string, opts: { description?: string; metadata?: Metadata } = {}): { row: ProjectRow; created: boolean } {
  c.checkName(name, 'project name')
  const found = c.stmt('SELECT * FROM projects WHERE name = ?').get(name) as ProjectRow | undefined
  if (found) return { row: found, created: false }
  const n = (c.stmt('SELECT COUNT(*) AS n FROM projects').get() as { n: number }).n
  if (n >= c.limits.maxProjects)
    throw domainError('quota_exceeded', `The store holds its maximum of ${c.limits.maxProjects} projects`, { limit: c.limits.maxProjects })
  const description = typeof opts.description === 'string' ? opts.description.slice(0, 4096) : ''
  const meta = c.metadataJson(opts.metadata, 'metadata')
  const info = c.stmt('INSERT INTO projects (name, description, created_at, metadata) VALUES (?, ?, ?, ?)').run(name, description, c.iso(), meta)
  return { row: c.stmt('SELECT * FROM projects WHERE id = ?').get(info.lastInsertRowid) as ProjectRow, created: true }
}

/** Ensure every space of `path` (and its project); returns the project id and the deepest space. */
export function ensureSpaceChain(c: Core, rawPath: string, who: Authorship = {}): { projectId: number; space: SpaceRow | null; created: boolean } {
  const { project, spaces } = c.spacePath(rawPath)
  const { row: proj } = ensureProjectRow(c, project)
  let parent = '/' + project
  let last: SpaceRow | null = null
  let created = false
  for (const name of spaces) {
    const path = `${parent}/${name}`
    let row = c.stmt('SELECT * FROM spaces WHERE path = ?').get(path) as SpaceRow | undefined
    if (!row) {
      const n = (c.stmt('SELECT COUNT(*) AS n FROM spaces').get() as { n: number }).n
      if (n >= c.limits.maxSpaces)
        throw domainError('quota_exceeded', `The store holds its maximum of ${c.limits.maxSpaces} spaces`, { limit: c.limits.maxSpaces })
      const info = c
        .stmt('INSERT INTO spaces (project_id, path, parent_path, name, created_at, author, username) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(proj.id, path, parent, name, c.iso(), who.author ?? null, who.username ?? null)
      row = c.stmt('SELECT * FROM spaces WHERE id = ?').get(info.lastInsertRowid) as SpaceRow
      created = true
    }
    last = row
    parent = path
  }
  return { projectId: proj.id, space: last, created }
}

export function ensureProject(c: Core, name: string, opts?: { description?: string; metadata?: Metadata }): { project: Project; created: boolean } {
  const { row, created } = c.db.transaction(() => ensureProjectRow(c, name, opts))()
  return { project: c.projectOf(row), created }
}

export function getProject(c: Core, name: string): Project | null {
  const row = c.stmt('SELECT * FROM projects WHERE name = ?').get(name) as ProjectRow | undefined
  return row ? c.projectOf(row) : null
}

export function listProjects(c: Core): Project[] {
  return (c.stmt('SELECT * FROM projects ORDER BY name').all() as ProjectRow[]).map((r) => c.projectOf(r))
}

export function ensureSpace(c: Core, path: string, who?: Authorship): { space: Space; created: boolean } {
  c.spaceBelowProject(path)
  const r = c.db.transaction(() => ensureSpaceChain(c, path, who))()
  return { space: c.spaceOf(r.space!), created: r.created }
}

export function getSpace(c: Core, path: string): Space | null {
  const row = c.stmt('SELECT * FROM spaces WHERE path = ?').get(c.spacePath(path).path) as SpaceRow | undefined
  return row ? c.spaceOf(row) : null
}

export function listSpaces(c: Core, q: { parent_path: string; recursive?: boolean }): Space[] {
  const parent = c.spacePath(q.parent_path).path
  const rows = q.recursive
    ? (c.stmt("SELECT * FROM spaces WHERE path LIKE ? ESCAPE '\\' ORDER BY path").all(likePrefix(parent) + '/%') as SpaceRow[])
    : (c.stmt('SELECT * FROM spaces WHERE parent_path = ? ORDER BY name').all(parent) as SpaceRow[])
  return rows.map((r) => c.spaceOf(r))
}

/** Escape LIKE wildcards so a path matches only as a literal prefix. */
export function likePrefix(s: string): string {
  return s.replace(/[\\%_]/g, (ch) => '\\' + ch)
}
