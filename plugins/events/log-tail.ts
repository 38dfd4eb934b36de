/**
 * Following a log file by polling, the way `/api/daemon/logs` needs it (contract §4.2): an initial
 * burst of the file's tail (partial first line dropped, empty lines skipped), then appended bytes
 * on every poll. A missing file is reported once, and polling goes on until it appears.
 *
 * Rotation is followed like `tail -F`: the file being read stays open, so when gateway.log is
 * renamed away the lines written to it since the last poll are still read, to its end, before the
 * tail moves on. Several rotations may happen between two polls (kernel/log/rotating-file.ts moves
 * gateway.log → gateway.log.1 → .2 …): the open file is found among the rotated ones by its inode,
 * and the files rotated after it are read in order before the new gateway.log. Holding the file
 * open also means its inode cannot be handed to a new gateway.log while we still use it, so an
 * inode seen at the path is never mistaken for the old file with a stale offset. A file that only
 * shrank in place was truncated: read it again from the start.
 *
 * Polling rather than fs.watch: watch is unreliable across rotation (renames) and on network and
 * container filesystems, and a 500 ms poll of one fstat and one stat is cheap.
 */
import { close, closeSync, fstatSync, openSync, read, statSync } from 'node:fs'
import { promisify } from 'node:util'

export interface LogTailOptions {
  path: string
  pollMs: number
  /** bytes of the file's end sent when the tail starts */
  initialBytes: number
}

export interface LogTailSink {
  /** one complete line; return false to stop the tail (the client is gone or too slow) */
  line(text: string): boolean
  /** the file could not be read when the tail started */
  unavailable(reason: string): void
}

const CHUNK = 64 * 1024
/** a "line" without a newline this long is passed on as is, so a runaway line cannot grow memory */
const MAX_LINE = 64 * 1024
/** rotated files looked at (`path.1` … `path.100`: the kernel's `log_keep` is at most 100) */
const MAX_ROTATED = 100

const readFd = promisify(read)

/** an open file and its identity */
interface Held {
  fd: number
  dev: number
  ino: number
}

function openFile(path: string): Held {
  const fd = openSync(path, 'r')
  try {
    const st = fstatSync(fd)
    return { fd, dev: st.dev, ino: st.ino }
  } catch (e) {
    closeSync(fd)
    throw e
  }
}

const same = (a: { dev: number; ino: number }, b: { dev: number; ino: number }) => a.dev === b.dev && a.ino === b.ino

export class LogTail {
  /** the file being read, open until the tail has read it to its end after it was rotated away */
  private cur: Held | null = null
  /** files rotated after `cur` (oldest first), then the new file at the path: read next, in order */
  private queue: Held[] = []
  private offset = 0
  private carry: Buffer = Buffer.alloc(0)
  private timer: NodeJS.Timeout | null = null
  private stopped = false
  /** a poll is reading: its files are closed when it ends, never under a pending read */
  private busy = false
  private first = true
  /** inside a line whose start was not sent (burst start, or a runaway line): skip to its end */
  private discarding = false

  constructor(
    private readonly opts: LogTailOptions,
    private readonly sink: LogTailSink,
  ) {}

  start(): void {
    void this.tick()
  }

  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (!this.busy) this.closeAll()
  }

  private async tick(): Promise<void> {
    this.timer = null
    this.busy = true
    try {
      await this.poll()
    } catch {
      // a read error mid-stream (permissions changed, disk hiccup) is retried on the next poll
    } finally {
      this.busy = false
    }
    if (this.stopped) this.closeAll()
    else this.timer = setTimeout(() => void this.tick(), this.opts.pollMs)
  }

  private async poll(): Promise<void> {
    if (!this.cur) {
      let held: Held
      try {
        held = openFile(this.opts.path)
      } catch (e) {
        if (this.first) {
          this.first = false
          this.sink.unavailable((e as NodeJS.ErrnoException).code ?? 'unreadable')
        }
        return
      }
      this.cur = held
      if (this.first) {
        this.first = false
        await this.burst(held.fd)
        return
      }
      // the file appeared after the tail started: all of it is new
      this.offset = 0
    }
    await this.drain()
    if (!this.queue.length) this.queue = this.rotatedSince(this.cur)
    while (this.queue.length && !this.stopped) {
      // the previous file is finished: a last line without its newline is as complete as it gets
      this.flushCarry()
      closeSync(this.cur.fd)
      this.cur = this.queue.shift()!
      this.offset = 0
      await this.drain()
    }
  }

  /**
   * The files that follow `held` if the path no longer names it (synchronously, so a rotation by
   * this process cannot happen halfway through the look): the rotated files newer than it, oldest
   * first, then the file now at the path. Empty while the path still names `held`, or names
   * nothing (mid-rotation, or removed: keep reading the open file).
   */
  private rotatedSince(held: Held): Held[] {
    const { path } = this.opts
    try {
      if (same(statSync(path), held)) return []
    } catch {
      return []
    }
    let now: Held
    try {
      now = openFile(path)
    } catch {
      return []
    }
    if (same(now, held)) {
      closeSync(now.fd)
      return []
    }
    const newer: Held[] = [] // path.1, path.2, … until the held file
    let found = false
    for (let i = 1; i <= MAX_ROTATED; i++) {
      let f: Held
      try {
        f = openFile(`${path}.${i}`)
      } catch {
        break
      }
      if (same(f, held)) {
        closeSync(f.fd)
        found = true
        break
      }
      newer.push(f)
    }
    // Not among the rotated files: if it was deleted (rotated past the files kept), every rotated
    // file is newer than it; if it still exists elsewhere it was moved by someone else, and which
    // files came after it is unknown — go on with the new file only.
    if (!found && fstatSync(held.fd).nlink > 0) {
      for (const f of newer) closeSync(f.fd)
      newer.length = 0
    }
    return [...newer.reverse(), now]
  }

  /** read the current file from `offset` to its present end (from 0 if it was truncated) */
  private async drain(): Promise<void> {
    const cur = this.cur!
    const size = fstatSync(cur.fd).size
    if (size < this.offset) {
      // truncated in place: the old offset means nothing now
      this.offset = 0
      this.carry = Buffer.alloc(0)
      this.discarding = false
    }
    while (this.offset < size && !this.stopped) {
      if ((await this.readAt(cur.fd, this.offset, Math.min(CHUNK, size - this.offset))) === 0) break
    }
  }

  /** the last `initialBytes` of the file, without the partial line they may start in */
  private async burst(fd: number): Promise<void> {
    const size = fstatSync(fd).size
    const start = Math.max(0, size - this.opts.initialBytes)
    if (start > 0) {
      // the burst starts mid-line unless the byte before it ends a line
      const prev = Buffer.alloc(1)
      await readFd(fd, prev, 0, 1, start - 1)
      this.discarding = prev[0] !== 0x0a
    }
    this.offset = start
    while (this.offset < size && !this.stopped) {
      if ((await this.readAt(fd, this.offset, Math.min(CHUNK, size - this.offset))) === 0) break
    }
  }

  /** read `len` bytes at `pos`, pass on the complete lines, keep the rest for the next read */
  private async readAt(fd: number, pos: number, len: number): Promise<number> {
    const buf = Buffer.allocUnsafe(len)
    const { bytesRead } = await readFd(fd, buf, 0, len, pos)
    if (bytesRead === 0) return 0
    this.offset = pos + bytesRead
    const data = this.carry.length ? Buffer.concat([this.carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead)
    this.carry = Buffer.alloc(0)
    let from = 0
    for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, from)) {
      const line = data.subarray(from, nl)
      from = nl + 1
      if (this.discarding) {
        this.discarding = false
        continue
      }
      if (!this.emit(line)) return bytesRead
    }
    const rest = data.subarray(from)
    if (this.discarding) return bytesRead
    if (rest.length >= MAX_LINE) this.emit(rest)
    // copy: a short remainder should not pin the whole read buffer
    else this.carry = Buffer.from(rest)
    return bytesRead
  }

  private flushCarry(): void {
    if (this.carry.length && !this.discarding) this.emit(this.carry)
    this.carry = Buffer.alloc(0)
    this.discarding = false
  }

  private emit(bytes: Buffer): boolean {
    const text = bytes.toString('utf8').replace(/\r$/, '')
    if (!text.trim()) return true
    if (!this.sink.line(text)) {
      this.stop()
      return false
    }
    return true
  }

  private closeAll(): void {
    for (const f of [...(this.cur ? [this.cur] : []), ...this.queue]) close(f.fd, () => {})
    this.cur = null
    this.queue = []
  }
}
