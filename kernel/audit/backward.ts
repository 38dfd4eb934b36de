/**
 * Reading a JSON-lines file from its end: the writer recovers its chain state from the last good
 * line, and `GET /api/audit` lists newest first, both without reading whole files. Chunks are read
 * backwards; bytes are split on '\n' before decoding, so a multi-byte character cut by a chunk
 * boundary is never mangled.
 */
import { closeSync, openSync, readSync } from 'node:fs'
import { open } from 'node:fs/promises'

const CHUNK = 64 * 1024

/** Collects chunks read from the end and hands out complete lines, last line first. */
class BackwardSplitter {
  private carry: Buffer = Buffer.alloc(0)

  /** `chunk` precedes everything pushed so far; returns the complete lines it closed, last first */
  push(chunk: Buffer): string[] {
    const buf = this.carry.length ? Buffer.concat([chunk, this.carry]) : chunk
    const out: string[] = []
    let end = buf.length
    for (let i = buf.length - 1; i >= 0; i--) {
      if (buf[i] !== 0x0a) continue
      if (end > i + 1) out.push(buf.subarray(i + 1, end).toString('utf8'))
      end = i
    }
    this.carry = Buffer.from(buf.subarray(0, end))
    return out
  }

  /** the first line of the file, once the start has been reached */
  rest(): string | null {
    return this.carry.length ? this.carry.toString('utf8') : null
  }
}

/**
 * The length of the file up to and including its last '\n': what follows it is a torn write (the
 * writer only ever appends whole lines ending in '\n').
 */
export function completeLength(path: string, size: number): number {
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.alloc(CHUNK)
    for (let end = size; end > 0;) {
      const start = Math.max(0, end - CHUNK)
      const n = readSync(fd, buf, 0, end - start, start)
      const i = buf.subarray(0, n).lastIndexOf(0x0a)
      if (i >= 0) return start + i + 1
      end = start
    }
    return 0
  } finally {
    closeSync(fd)
  }
}

/** Visit the complete lines of `path[0, size)` last first, until `visit` returns true. */
export function scanBackwardSync(path: string, size: number, visit: (line: string) => boolean): void {
  const fd = openSync(path, 'r')
  try {
    const split = new BackwardSplitter()
    for (let end = size; end > 0;) {
      const start = Math.max(0, end - CHUNK)
      const buf = Buffer.alloc(end - start)
      readSync(fd, buf, 0, buf.length, start)
      for (const line of split.push(buf)) if (visit(line)) return
      end = start
    }
    const first = split.rest()
    if (first !== null) visit(first)
  } finally {
    closeSync(fd)
  }
}

/**
 * The async twin for request paths: visits complete lines last first, stops when `visit` returns
 * true or `budget.bytes` is spent (then returns false: the scan was cut short).
 */
export async function scanBackward(path: string, visit: (line: string) => boolean, budget: { bytes: number }): Promise<boolean> {
  let fh
  try {
    fh = await open(path, 'r')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true
    throw e
  }
  try {
    const size = (await fh.stat()).size
    const split = new BackwardSplitter()
    // an unterminated tail is a write in progress or a torn one: not an entry
    let end = size
    let tailSeen = false
    while (end > 0) {
      if (budget.bytes <= 0) return false
      const start = Math.max(0, end - CHUNK)
      const buf = Buffer.alloc(end - start)
      await fh.read(buf, 0, buf.length, start)
      budget.bytes -= buf.length
      let chunk = buf
      if (!tailSeen) {
        const i = buf.lastIndexOf(0x0a)
        if (i < 0) {
          end = start
          continue
        }
        chunk = buf.subarray(0, i + 1)
        tailSeen = true
      }
      for (const line of split.push(chunk)) if (visit(line)) return true
      end = start
    }
    const first = split.rest()
    if (first !== null) visit(first)
    return true
  } finally {
    await fh.close()
  }
}
