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
import { domainError, writeFileAtomicSync, type ArtifactFile, type Kref } from '@revka/plugin-sdk'
import type { Core } from './core.js'

export function artifactPath(c: Core, k: Kref, revision: number, name: string): string {
  return join(c.artifactRoot, k.project, ...k.spaces, `${k.name}.${k.kind}`, `r${revision}`, name)
}

export function fileBytes(file: ArtifactFile): Buffer {
  const b = typeof file.content === 'string' ? Buffer.from(file.content) : Buffer.from(file.content.buffer, file.content.byteOffset, file.content.byteLength)
  return b
}

/** Refuse (413 / 507) before anything is written. `replacing` = bytes of the file being replaced. */
export function checkArtifactBytes(c: Core, adding: number[], replacing = 0): void {
  for (const n of adding) {
    if (n > c.limits.maxArtifactBytes)
      throw domainError('too_large', `An artifact file of ${n} bytes exceeds the store's ${c.limits.maxArtifactBytes}-byte limit`, {
        limit: c.limits.maxArtifactBytes,
      })
  }
  const total = adding.reduce((a, b) => a + b, 0)
  if (total === 0) return
  const used = (c.stmt('SELECT COALESCE(SUM(owned_size), 0) AS n FROM artifacts').get() as { n: number }).n
  if (used - replacing + total > c.limits.maxArtifactBytesTotal) {
    throw domainError('quota_exceeded', `The store's artifact files would exceed their ${c.limits.maxArtifactBytesTotal}-byte quota`, {
      limit: c.limits.maxArtifactBytesTotal,
    })
  }
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

/** The real path of a location when it is a regular file inside the artifact root, else null. */
export function containedPath(c: Core, location: string): string | null {
  if (typeof location !== 'string' || location.length === 0 || location.includes('\0')) return null
  let p = location
  if (p.startsWith('file://')) {
    try {
      p = fileURLToPath(p)
    } catch {
      return null
    }
  }
  if (!isAbsolute(p)) return null
  try {
    const root = realpathSync(c.artifactRoot)
    const real = realpathSync(p)
    if (!real.startsWith(root + sep)) return null
    return statSync(real).isFile() ? real : null
  } catch {
    return null
  }
}
