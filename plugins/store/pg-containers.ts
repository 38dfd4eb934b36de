/**
 * Projects and spaces on PostgreSQL. `ensure*` is idempotent across nodes: a missing row is
 * inserted under the store-wide lock of its count (so the quota holds when two nodes create at
 * once), after looking again under that lock — the other node may have just created it.
 */
import type { Authorship, Metadata, Project, Space, SqlQueryable } from '@revka/plugin-sdk'
import { likePrefix } from './containers.js'
import type { PgCore } from './pg-core.js'
import { quotaError, type ProjectRow, type SpaceRow } from './rules.js'

const one = async <R>(q: SqlQueryable, sql: string, args: unknown[]): Promise<R | undefined> => (await q.query<R>(sql, args)).rows[0]

async function ensureProjectRow(c: PgCore, q: SqlQueryable, name: string, opts: { description?: string; metadata?: Metadata } = {}) {
  c.checkName(name, 'project name')
  const find = () => one<ProjectRow>(q, 'SELECT * FROM store_projects WHERE name = $1', [name])
  let row = await find()
  if (row) return { row, created: false }
  const description = typeof opts.description === 'string' ? opts.description.slice(0, 4096) : ''
  const meta = c.metadataJson(opts.metadata, 'metadata')
  await c.lock(q, 'projects')
  row = await find()
  if (row) return { row, created: false }
  if ((await c.count(q, 'SELECT COUNT(*) AS n FROM store_projects')) >= c.limits.maxProjects)
    throw quotaError(`The store holds its maximum of ${c.limits.maxProjects} projects`, c.limits.maxProjects)
  row = await one<ProjectRow>(q, 'INSERT INTO store_projects (name, description, created_at, metadata) VALUES ($1, $2, $3, $4) RETURNING *', [
    name,
    description,
    c.iso(),
    meta,
  ])
  return { row: row!, created: true }
}

/** Ensure every space of `path` (and its project) inside the caller's transaction. */
export async function ensureSpaceChain(c: PgCore, q: SqlQueryable, rawPath: string, who: Authorship = {}) {
  const { project, spaces } = c.spacePath(rawPath)
  const { row: proj } = await ensureProjectRow(c, q, project)
  let parent = '/' + project
  let last: SpaceRow | null = null
  let created = false
  let locked = false
  for (const name of spaces) {
    const path = `${parent}/${name}`
    const find = () => one<SpaceRow>(q, 'SELECT * FROM store_spaces WHERE path = $1', [path])
    let row = await find()
    if (!row) {
      if (!locked) await c.lock(q, 'spaces')
      locked = true
      row = await find()
    }
    if (!row) {
      if ((await c.count(q, 'SELECT COUNT(*) AS n FROM store_spaces')) >= c.limits.maxSpaces)
        throw quotaError(`The store holds its maximum of ${c.limits.maxSpaces} spaces`, c.limits.maxSpaces)
      row = await one<SpaceRow>(
        q,
        'INSERT INTO store_spaces (project_id, path, parent_path, name, created_at, author, username) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *',
        [proj.id, path, parent, name, c.iso(), who.author ?? null, who.username ?? null],
      )
      created = true
    }
    last = row!
    parent = path
  }
  return { projectId: proj.id, space: last, created }
}

export async function ensureProject(
  c: PgCore,
  name: string,
  opts?: { description?: string; metadata?: Metadata },
): Promise<{ project: Project; created: boolean }> {
  const { row, created } = await c.sql.transaction((q) => ensureProjectRow(c, q, name, opts))
  return { project: c.projectOf(row), created }
}

export async function getProject(c: PgCore, name: string): Promise<Project | null> {
  const row = await one<ProjectRow>(c.sql, 'SELECT * FROM store_projects WHERE name = $1', [name])
  return row ? c.projectOf(row) : null
}

export async function listProjects(c: PgCore): Promise<Project[]> {
  return (await c.sql.query<ProjectRow>('SELECT * FROM store_projects ORDER BY name COLLATE "C"')).rows.map((r) => c.projectOf(r))
}

export async function ensureSpace(c: PgCore, path: string, who?: Authorship): Promise<{ space: Space; created: boolean }> {
  c.spaceBelowProject(path)
  const r = await c.sql.transaction((q) => ensureSpaceChain(c, q, path, who))
  return { space: c.spaceOf(r.space!), created: r.created }
}

export async function getSpace(c: PgCore, path: string): Promise<Space | null> {
  const row = await one<SpaceRow>(c.sql, 'SELECT * FROM store_spaces WHERE path = $1', [c.spacePath(path).path])
  return row ? c.spaceOf(row) : null
}

export async function listSpaces(c: PgCore, q: { parent_path: string; recursive?: boolean }): Promise<Space[]> {
  const parent = c.spacePath(q.parent_path).path
  const r = q.recursive
    ? await c.sql.query<SpaceRow>(`SELECT * FROM store_spaces WHERE path LIKE $1 ESCAPE '\\' ORDER BY path COLLATE "C"`, [likePrefix(parent) + '/%'])
    : await c.sql.query<SpaceRow>('SELECT * FROM store_spaces WHERE parent_path = $1 ORDER BY name COLLATE "C"', [parent])
  return r.rows.map((row) => c.spaceOf(row))
}
