/**
 * The install-wide attachment quota (issue 10 item 6: uploads had no total cap). What is on disk
 * is counted once, lazily, from the files themselves (so it survives restarts and includes files
 * another process wrote); from then on uploads reserve bytes as they stream in, and a chunk that
 * would pass the quota ends the upload with 507 before it is written. Deletions give bytes back.
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { httpError } from '@revka/plugin-sdk'
import { isValidId } from '../ids.js'

export class AttachmentQuota {
  /** bytes of stored files, once counted */
  private used: number | null = null
  private counting: Promise<void> | null = null
  /** bytes reserved by uploads still streaming */
  private inFlight = 0

  constructor(private readonly root: string, readonly limitBytes: number) {}

  /** Counts what is stored (once); uploads wait for it before they reserve. */
  ready(): Promise<void> {
    this.counting ??= storedBytes(this.root).then((n) => { this.used = n })
    return this.counting
  }

  /** Reserves `n` more bytes for an upload in flight, or throws 507 when that would pass the quota. */
  reserve(n: number): void {
    if ((this.used ?? 0) + this.inFlight + n > this.limitBytes) {
      throw httpError(507, 'attachment_quota_exceeded',
        `Attachments are limited to ${this.limitBytes} bytes on this gateway and this upload would pass it; delete some first (DELETE /api/sessions/{id}/attachments/{file_id})`)
    }
    this.inFlight += n
  }

  /** An upload ended: its reserved bytes are now stored (`kept`) or given back. */
  settle(n: number, kept: boolean): void {
    this.inFlight = Math.max(0, this.inFlight - n)
    if (kept && this.used !== null) this.used += n
  }

  /** Stored bytes were deleted. */
  freed(n: number): void {
    if (this.used !== null) this.used = Math.max(0, this.used - n)
  }

  get usedBytes(): number {
    return (this.used ?? 0) + this.inFlight
  }
}

/** Bytes of the stored files under `root` (`<sid>/<file_id>`; sidecars and temp files are not counted). */
export async function storedBytes(root: string): Promise<number> {
  let total = 0
  for (const sid of await readdir(root).catch(() => [] as string[])) {
    if (!isValidId(sid)) continue
    total += await sessionBytes(join(root, sid))
  }
  return total
}

/** Bytes of the stored files of one session folder. */
export async function sessionBytes(dir: string): Promise<number> {
  let total = 0
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!isValidId(name)) continue
    total += await stat(join(dir, name)).then((s) => (s.isFile() ? s.size : 0), () => 0)
  }
  return total
}
