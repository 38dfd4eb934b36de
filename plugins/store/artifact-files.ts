/**
 * Artifact files the store writes itself, under `<plugin dir>/artifacts/`. Paths come from the
 * kref's parsed segments only (never from a client's path), so they cannot leave the root; each
 * file is written atomically (temp file, fsync, rename) BEFORE the row that points at it is
 * committed, and removed again when that commit fails: a crash leaves at worst an orphan file,
 * never a row pointing at a torn one.
 */
import { realpathSync, statSync, unlinkSync } from 'node:fs'
import { isAbsolute, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeFileAtomicSync, type Kref } from '@revka/plugin-sdk'
import type { Core } from './core.js'
import { checkBytesTotal } from './revision-input.js'

/** where an artifact's file goes, relative to the artifact root (the same on every node) */
export function artifactRel(k: Kref, revision: number, name: string): string {
  return join(k.project, ...k.spaces, `${k.name}.${k.kind}`, `r${revision}`, name)
}

export function artifactPath(c: { artifactRoot: string }, k: Kref, revision: number, name: string): string {
  return join(c.artifactRoot, artifactRel(k, revision, name))
}

/** Refuse (507) before anything is written. `replacing` = bytes of the file being replaced. */
export function checkArtifactBytes(c: Core, adding: number, replacing = 0): void {
  if (adding === 0) return
  checkBytesTotal(c, (c.stmt('SELECT COALESCE(SUM(owned_size), 0) AS n FROM artifacts').get() as { n: number }).n, adding, replacing)
}

/** Files written by one write; `undo()` removes them when its transaction fails. */
export class WrittenFiles {
  private readonly paths: string[] = []
  write(path: string, data: Buffer): void {
    writeFileAtomicSync(path, data)
    this.paths.push(path)
  }
  undo(): void {
    for (const p of this.paths)
      try {
        unlinkSync(p)
      } catch {}
  }
}

export function removeFiles(paths: string[]): void {
  for (const p of paths)
    try {
      unlinkSync(p)
    } catch {}
}

/** The absolute path a location (path or `file://` URI) names, or null for anything else. */
export function localPath(location: string): string | null {
  if (typeof location !== 'string' || location.length === 0 || location.includes('\0')) return null
  let p = location
  if (p.startsWith('file://')) {
    try {
      p = fileURLToPath(p)
    } catch {
      return null
    }
  }
  return isAbsolute(p) ? p : null
}

/** The real path of a location when it is a regular file inside the artifact root, else null. */
export function containedPath(c: { artifactRoot: string }, location: string): string | null {
  const p = localPath(location)
  if (p === null) return null
  try {
    const root = realpathSync(c.artifactRoot)
    const real = realpathSync(p)
    if (!real.startsWith(root + sep)) return null
    return statSync(real).isFile() ? real : null
  } catch {
    return null
  }
}
