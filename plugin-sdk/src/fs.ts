/**
 * Durable file writes for plugins and the kernel alike. A plain writeFile leaves a torn or empty
 * file behind a crash; this writes a unique temp file, fsyncs it, renames it over the target and
 * fsyncs the folder, so a reader sees either the old or the new content, never a mix.
 */
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'

/**
 * Atomically replace `path` with `data`. The file gets `mode` — private (0600) unless a caller says
 * otherwise, since what a gateway writes under its state dir is its own — and missing folders are
 * created 0700.
 */
export function writeFileAtomicSync(path: string, data: string | Buffer, mode = 0o600): void {
  const dir = dirname(path)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const fd = openSync(tmp, 'w', mode)
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data)
    fsyncSync(fd)
  } catch (e) {
    closeSync(fd)
    try {
      unlinkSync(tmp)
    } catch {}
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
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  } catch {}
}

/**
 * Make `path` an existing file private to this user (0600) before a library opens it: SQLite
 * creates a database 0644 (less the umask) but gives its `-wal`, `-shm` and journal files the mode
 * of the database file, so a database created through this stays private with its companions,
 * whatever the process umask. Existing companions that are looser are tightened too. Folders on
 * the way are created 0700.
 */
export function ensurePrivateFile(path: string, companions: string[] = ['-wal', '-shm', '-journal']): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  closeSync(openSync(path, 'a', 0o600))
  for (const p of [path, ...companions.map((s) => path + s)]) {
    try {
      if ((statSync(p).mode & 0o077) !== 0) chmodSync(p, 0o600)
    } catch {}
  }
}
