/**
 * A cross-process lock for the audit log: the gateway and a CLI command (`revka plugins enable`)
 * may both append, and two writers that each continue the chain from their own memory fork it (the
 * reference's quirk, §18). The lock is a file created with O_EXCL holding the owner's pid; a lock
 * whose owner is gone, or older than STALE_MS, is taken over. Waits are short sleeps in a bounded
 * loop — the lock is held only for one append (a few ms), so the event loop barely notices.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { RevkaError } from '@revka/plugin-sdk'

const STALE_MS = 10_000
const WAIT_MS = 5_000
const sleeper = new Int32Array(new SharedArrayBuffer(4))

function ownerAlive(path: string): boolean {
  try {
    const pid = Number(readFileSync(path, 'utf8'))
    if (!Number.isInteger(pid) || pid <= 0) return false
    if (pid === process.pid) return true
    process.kill(pid, 0)
    return true
  } catch (e) {
    // EPERM: the process exists but is someone else's
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function withFileLock<T>(path: string, fn: () => T): T {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    let fd: number | undefined
    try {
      fd = openSync(path, 'wx', 0o600)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    if (fd !== undefined) {
      try {
        writeSync(fd, String(process.pid))
      } finally {
        closeSync(fd)
      }
      try {
        return fn()
      } finally {
        try {
          unlinkSync(path)
        } catch {}
      }
    }
    let stale: boolean
    try {
      stale = Date.now() - statSync(path).mtimeMs > STALE_MS || !ownerAlive(path)
    } catch {
      continue // released meanwhile
    }
    if (stale) {
      try {
        unlinkSync(path)
      } catch {}
      continue
    }
    if (Date.now() > deadline)
      throw new RevkaError('REVKA_ERR_AUDIT_LOCK', `the audit log lock ${path} is held by another process; remove it if no revka process is running`)
    Atomics.wait(sleeper, 0, 0, 2)
  }
}
