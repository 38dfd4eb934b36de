/**
 * Workspace path rules (contract §2.9 and "deliberately differ" item 2). A requested path is
 * refused (400) before the file system is touched when it is absolute, has a `..` or `.` segment,
 * an empty segment, a backslash, a NUL or another control character; then, after resolving
 * symlinks, it must still be inside the workspace. The router has already decoded the path once
 * (`%2e%2e` → `..`); it is never decoded again, so `%252e` stays a literal name.
 */
import { realpath, stat } from 'node:fs/promises'
import { isAbsolute, join, relative, sep } from 'node:path'

export class WorkspacePathError extends Error {}

export function checkRelativePath(rel: string): string {
  if (typeof rel !== 'string' || !rel) throw new WorkspacePathError('empty path')
  if (rel.length > 1024) throw new WorkspacePathError('path too long')
  if (/[\u0000-\u001f\u007f]/.test(rel)) throw new WorkspacePathError('control character in path')
  if (rel.includes('\\')) throw new WorkspacePathError('backslash in path')
  if (rel.startsWith('/') || isAbsolute(rel) || /^[A-Za-z]:/.test(rel)) throw new WorkspacePathError('absolute path')
  for (const seg of rel.split('/')) {
    if (seg === '..' || seg === '.') throw new WorkspacePathError(`"${seg}" segment in path`)
    if (seg === '') throw new WorkspacePathError('empty segment in path')
  }
  return rel
}

function inside(child: string, parent: string): boolean {
  const r = relative(parent, child)
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r))
}

export type Resolved = { ok: true; path: string; size: number; mtime: Date } | { ok: false; reason: 'not_found' | 'outside' | 'not_a_file' }

/** Resolve a checked relative path to a regular file whose real location is inside the workspace. */
export async function resolveInWorkspace(workspaceDir: string, rel: string): Promise<Resolved> {
  const root = await realpath(workspaceDir)
  let real: string
  try {
    real = await realpath(join(root, rel))
  } catch {
    return { ok: false, reason: 'not_found' }
  }
  if (!inside(real, root)) return { ok: false, reason: 'outside' }
  const st = await stat(real)
  if (!st.isFile()) return { ok: false, reason: 'not_a_file' }
  return { ok: true, path: real, size: st.size, mtime: st.mtime }
}
