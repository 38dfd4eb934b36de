/**
 * Following a log file by polling, the way `/api/daemon/logs` needs it (contract §4.2): an initial
 * burst of the file's tail (partial first line dropped, empty lines skipped), then appended bytes
 * on every poll. A shrink or a new inode means the file was truncated or rotated: start over at
 * offset 0. A missing file is reported once, and polling goes on until it appears.
 *
 * Polling rather than fs.watch: watch is unreliable across rotation (renames) and on network and
 * container filesystems, and a 500 ms poll of one fstat is cheap.
 */
import { open, type FileHandle } from 'node:fs/promises'

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

export class LogTail {
  private offset = 0
  private ino: number | null = null
  private carry: Buffer = Buffer.alloc(0)
  private timer: NodeJS.Timeout | null = null
  private stopped = false
  private first = true
  /** inside a line whose start was not sent (burst start, or a runaway line): skip to its end */
  private discarding = false

  constructor(private readonly opts: LogTailOptions, private readonly sink: LogTailSink) {}

  start(): void {
    void this.tick()
  }

  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private async tick(): Promise<void> {
    this.timer = null
    try {
      await this.poll()
    } catch {
      // a read error mid-stream (permissions changed, disk hiccup) is retried on the next poll
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.opts.pollMs)
  }

  private async poll(): Promise<void> {
    let fh: FileHandle
    try {
      fh = await open(this.opts.path, 'r')
    } catch (e) {
      if (this.first) {
        this.first = false
        this.sink.unavailable((e as NodeJS.ErrnoException).code ?? 'unreadable')
      }
      return
    }
    try {
      const st = await fh.stat()
      if (this.stopped) return
      if (this.first) {
        this.first = false
        this.ino = st.ino
        await this.burst(fh, st.size)
        return
      }
      if (st.ino !== this.ino || st.size < this.offset) {
        // rotated (new file at the path) or truncated in place: the old offset means nothing now
        this.ino = st.ino
        this.offset = 0
        this.carry = Buffer.alloc(0)
        this.discarding = false
      }
      while (this.offset < st.size && !this.stopped) {
        const n = await this.readAt(fh, this.offset, Math.min(CHUNK, st.size - this.offset))
        if (n === 0) break
      }
    } finally {
      await fh.close().catch(() => {})
    }
  }

  /** the last `initialBytes` of the file, without the partial line they may start in */
  private async burst(fh: FileHandle, size: number): Promise<void> {
    const start = Math.max(0, size - this.opts.initialBytes)
    if (start > 0) {
      // the burst starts mid-line unless the byte before it ends a line
      const prev = Buffer.alloc(1)
      await fh.read(prev, 0, 1, start - 1)
      this.discarding = prev[0] !== 0x0a
    }
    this.offset = start
    while (this.offset < size && !this.stopped) {
      if ((await this.readAt(fh, this.offset, Math.min(CHUNK, size - this.offset))) === 0) break
    }
  }

  /** read `len` bytes at `pos`, pass on the complete lines, keep the rest for the next read */
  private async readAt(fh: FileHandle, pos: number, len: number): Promise<number> {
    const buf = Buffer.allocUnsafe(len)
    const { bytesRead } = await fh.read(buf, 0, len, pos)
    if (bytesRead === 0) return 0
    this.offset = pos + bytesRead
    const data = this.carry.length ? Buffer.concat([this.carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead)
    this.carry = Buffer.alloc(0)
    let from = 0
    for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, from)) {
      const line = data.subarray(from, nl)
      from = nl + 1
      if (this.discarding) { this.discarding = false; continue }
      if (!this.emit(line)) return bytesRead
    }
    const rest = data.subarray(from)
    if (this.discarding) return bytesRead
    if (rest.length >= MAX_LINE) this.emit(rest)
    // copy: a short remainder should not pin the whole read buffer
    else this.carry = Buffer.from(rest)
    return bytesRead
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
}
