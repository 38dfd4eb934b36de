/**
 * Durable file writes for plugins and the kernel alike. A plain writeFile leaves a torn or empty
 * file behind a crash; this writes a unique temp file, fsyncs it, renames it over the target and
 * fsyncs the folder, so a reader sees either the old or the new content, never a mix.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'

/** Atomically replace `path` with `data` (file created with `mode`; folders created as needed). */
export function writeFileAtomicSync(path: string, data: string | Buffer, mode = 0o644): void {
  const dir = dirname(path)
  mkdirSync(dir, { recursive: true })
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const fd = openSync(tmp, 'w', mode)
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data)
    fsyncSync(fd)
  } catch (e) {
    closeSync(fd)
    try { unlinkSync(tmp) } catch {}
    throw e
  }
  closeSync(fd)
  renameSync(tmp, path)
  fsyncDir(dir)
}

/** fsync a folder so a rename inside it is durable (some filesystems refuse; the rename stays atomic) */
export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r')
    try { fsyncSync(fd) } finally { closeSync(fd) }
  } catch {}
}
