/**
 * The gateway's log file, rotated by size: when a write would take `gateway.log` past `maxBytes`,
 * `gateway.log.(k-1)` → `gateway.log.k` …, `gateway.log` → `gateway.log.1`, and a new `gateway.log`
 * (0600) is opened; `keep` rotated files are kept, so the total stays under (keep + 1) × maxBytes
 * plus one line. Rotation renames, so a reader that follows the path (the events plugin's log tail
 * watches the inode) starts over on the new file.
 *
 * A pino destination: lines are buffered and written together once per event-loop turn (or when
 * 64 KiB are pending), with `flushSync` for shutdown. Nothing here ever throws into a log call: a
 * failed write or rotation (the state dir removed under a stopping test kernel) drops the lines.
 */
import { closeSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'

export interface RotationOptions {
  maxBytes: number
  keep: number
}

export const DEFAULT_ROTATION: RotationOptions = { maxBytes: 10 * 1024 * 1024, keep: 5 }

const FLUSH_AT = 64 * 1024

export class RotatingFile {
  private fd: number
  private size: number
  private pending: string[] = []
  private pendingBytes = 0
  private scheduled = false
  private rotation: RotationOptions

  constructor(
    readonly path: string,
    rotation: RotationOptions = DEFAULT_ROTATION,
  ) {
    this.rotation = { ...rotation }
    // opened synchronously: an async open could still be pending when a short-lived kernel stops
    // and its state dir is removed, which crashed the process at exit
    this.fd = openSync(path, 'a', 0o600)
    this.size = fstatSync(this.fd).size
  }

  /** config.toml is read after the logger exists: the kernel sets its limits then */
  configure(rotation: RotationOptions): void {
    this.rotation = { ...rotation }
  }

  /** pino's destination interface */
  write(line: string): boolean {
    this.pending.push(line)
    this.pendingBytes += Buffer.byteLength(line)
    if (this.pendingBytes >= FLUSH_AT) this.flushSync()
    else if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => this.flushSync())
    }
    return true
  }

  flushSync(): void {
    this.scheduled = false
    if (!this.pending.length) return
    const lines = this.pending
    this.pending = []
    this.pendingBytes = 0
    // closed: lines logged after close are dropped, not kept in memory
    if (this.fd < 0) return
    for (const line of lines) {
      const bytes = Buffer.byteLength(line)
      // a file that has something in it and would pass the limit: rotate first. An empty file takes
      // a line of any size, so an oversized line cannot rotate forever
      if (this.size > 0 && this.size + bytes > this.rotation.maxBytes) this.rotate()
      try {
        writeSync(this.fd, line)
        this.size += bytes
      } catch {
        // nowhere to report a failing log write; the line is lost
      }
    }
  }

  /** the files written so far, newest first: gateway.log, gateway.log.1, … */
  files(): string[] {
    return [this.path, ...Array.from({ length: this.rotation.keep }, (_, i) => `${this.path}.${i + 1}`)]
  }

  private rotate(): void {
    try {
      const { keep } = this.rotation
      rmSync(`${this.path}.${keep}`, { force: true })
      for (let i = keep - 1; i >= 1; i--) {
        try {
          renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`)
        } catch {
          /* not there yet */
        }
      }
      renameSync(this.path, `${this.path}.1`)
      const fd = openSync(this.path, 'a', 0o600)
      closeSync(this.fd)
      this.fd = fd
      this.size = fstatSync(fd).size
    } catch {
      // the folder is gone or read-only: keep appending to the open file rather than lose lines,
      // and try again only after another maxBytes, not on every line
      this.size = 0
    }
  }

  /** pino's multistream ends its streams this way */
  end(): void {
    this.close()
  }

  close(): void {
    this.flushSync()
    if (this.fd >= 0) {
      try {
        closeSync(this.fd)
      } catch {
        /* already closed */
      }
      this.fd = -1
    }
  }
}
