/**
 * The click record: one JSON line per click, appended in order. Rotated to `.1` past 10 MiB so a
 * busy campaign cannot fill the disk; no fsync — a click lost to a power cut is not worth a
 * slower redirect.
 */
import { appendFile, rename, stat } from 'node:fs/promises'

export const ROTATE_BYTES = 10 * 1024 * 1024

export class ClickLog {
  private queue: Promise<void> = Promise.resolve()
  private closed = false

  constructor(
    readonly path: string,
    private readonly rotateBytes = ROTATE_BYTES,
  ) {}

  append(record: Record<string, unknown>): Promise<void> {
    if (this.closed) return Promise.resolve()
    const line = JSON.stringify(record) + '\n'
    const run = this.queue.then(async () => {
      const size = await stat(this.path).then(
        (s) => s.size,
        () => 0,
      )
      if (size + line.length > this.rotateBytes) await rename(this.path, `${this.path}.1`)
      await appendFile(this.path, line, { mode: 0o600 })
    })
    this.queue = run.catch(() => {})
    return run
  }

  async close(): Promise<void> {
    this.closed = true
    await this.queue
  }
}
