/**
 * Durable writes. lowdb and naive writeFile leave a torn or empty file behind a crash; every file
 * the kernel owns is written to a unique temp file, fsynced, renamed over the target, and the folder
 * fsynced, so a reader sees either the old or the new content, never a mix.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, writeSync, unlinkSync } from 'node:fs'
import { dirname, basename, join } from 'node:path'
import { randomBytes } from 'node:crypto'

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

export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r')
    try { fsyncSync(fd) } finally { closeSync(fd) }
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic
  }
}

/**
 * Remove temp files a crash left behind mid-write for `path` (they may hold a full copy of the
 * file, secrets included). Safe at start, before anything writes.
 */
export function sweepTempFiles(path: string): number {
  const dir = dirname(path)
  const prefix = `.${basename(path)}.`
  let n = 0
  try {
    for (const f of readdirSync(dir)) {
      if (f.startsWith(prefix) && f.endsWith('.tmp')) {
        try { unlinkSync(join(dir, f)); n++ } catch {}
      }
    }
  } catch {}
  return n
}
