/**
 * A small streaming multipart/form-data parser (RFC 7578 / RFC 2046 §5.1). It never holds more than
 * one incoming chunk plus a delimiter's worth of bytes: part bodies come out as slices of the input
 * (never copies) as soon as they cannot be the start of the next boundary, so a 25 MiB upload
 * streams to disk through a buffer of a few dozen kilobytes.
 */
export interface PartInfo {
  /** the form field name (`name` of Content-Disposition) */
  name: string
  /** the client's file name, raw (sanitise before display) */
  filename?: string
  contentType?: string
}

export type MultipartEvent =
  | { type: 'part'; part: PartInfo }
  | { type: 'data'; data: Buffer }
  | { type: 'part_end' }

/** A malformed body: the caller answers 400. */
export class MultipartError extends Error {}

const CRLF = Buffer.from('\r\n')
const HEADER_END = Buffer.from('\r\n\r\n')
const MAX_HEADER_BYTES = 16 * 1024
const MAX_PARTS = 64

/** The boundary of a `multipart/form-data` Content-Type, or null when it is anything else. */
export function boundaryOf(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType.trim())) return null
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType)
  const b = m?.[1] ?? m?.[2]
  return b ? b : null
}

/** `form-data; name="file"; filename="a.txt"` → its parameters (filename* per RFC 5987 wins). */
function dispositionParams(value: string): Record<string, string> {
  const out: Record<string, string> = {}
  const re = /;\s*([A-Za-z0-9_*.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const key = m[1].toLowerCase()
    const v = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3].trim()
    out[key] = v
  }
  const star = out['filename*']
  if (star) {
    const m = /^([^']*)'[^']*'(.*)$/.exec(star)
    if (m) {
      try { out.filename = m[1].toLowerCase() === 'utf-8' ? decodeURIComponent(m[2]) : unescape(m[2]) } catch { /* keep the plain filename */ }
    }
  }
  return out
}

function parseHeaders(block: string): PartInfo {
  let disposition: string | undefined
  let contentType: string | undefined
  for (const line of block.split('\r\n')) {
    const i = line.indexOf(':')
    if (i <= 0) continue
    const key = line.slice(0, i).trim().toLowerCase()
    const value = line.slice(i + 1).trim()
    if (key === 'content-disposition') disposition = value
    else if (key === 'content-type') contentType = value
  }
  if (!disposition || !/^form-data\b/i.test(disposition)) throw new MultipartError('a part has no Content-Disposition: form-data header')
  const params = dispositionParams(disposition)
  if (params.name === undefined) throw new MultipartError('a part has no field name')
  return { name: params.name, filename: params.filename, contentType }
}

type State = 'preamble' | 'after_delimiter' | 'headers' | 'body' | 'done'

export class MultipartParser {
  private readonly delimiter: Buffer
  private state: State = 'preamble'
  /** bytes not yet handed out; in `body` at most delimiter.length - 1 of them between pushes */
  private pending: Buffer
  private parts = 0

  constructor(boundary: string) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`)
    // the first boundary may open the body without a preceding CRLF: supply one
    this.pending = Buffer.from(CRLF)
  }

  get finished(): boolean {
    return this.state === 'done'
  }

  /** Feed the next chunk; returns what it completed. `data` slices are valid until the next push. */
  push(chunk: Buffer): MultipartEvent[] {
    const events: MultipartEvent[] = []
    if (this.state === 'done') return events // the epilogue is ignored
    let buf = this.pending.length ? this.joinPending(chunk, events) : chunk
    for (;;) {
      if (this.state === 'preamble') {
        const i = buf.indexOf(this.delimiter)
        if (i < 0) { buf = this.keepTail(buf); break }
        buf = buf.subarray(i + this.delimiter.length)
        this.state = 'after_delimiter'
      } else if (this.state === 'after_delimiter') {
        if (buf.length < 2) break
        if (buf[0] === 0x2d && buf[1] === 0x2d) { this.state = 'done'; buf = Buffer.alloc(0); break }
        if (buf[0] !== 0x0d || buf[1] !== 0x0a) throw new MultipartError('malformed boundary line')
        buf = buf.subarray(2)
        this.state = 'headers'
      } else if (this.state === 'headers') {
        // a part with no header lines starts directly with the blank line
        const empty = buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a
        const i = empty ? -2 : buf.indexOf(HEADER_END)
        if (!empty && i < 0) {
          if (buf.length > MAX_HEADER_BYTES) throw new MultipartError('part headers are too large')
          break
        }
        if (++this.parts > MAX_PARTS) throw new MultipartError(`more than ${MAX_PARTS} parts`)
        const part = parseHeaders(empty ? '' : buf.subarray(0, i).toString('utf8'))
        buf = buf.subarray(i + 4)
        events.push({ type: 'part', part })
        this.state = 'body'
      } else if (this.state === 'body') {
        const i = buf.indexOf(this.delimiter)
        if (i < 0) {
          // everything except a possible delimiter prefix at the end is body
          const safe = buf.length - (this.delimiter.length - 1)
          if (safe > 0) {
            events.push({ type: 'data', data: buf.subarray(0, safe) })
            buf = buf.subarray(safe)
          }
          break
        }
        if (i > 0) events.push({ type: 'data', data: buf.subarray(0, i) })
        events.push({ type: 'part_end' })
        buf = buf.subarray(i + this.delimiter.length)
        this.state = 'after_delimiter'
      } else break
    }
    // copy what is kept (a few bytes in a body) so the caller's chunk can be released
    this.pending = buf.length ? Buffer.from(buf) : Buffer.alloc(0)
    return events
  }

  /** Call at the end of the body: a body without its closing boundary is truncated. */
  end(): void {
    if (this.state !== 'done') throw new MultipartError('the multipart body ended before its closing boundary')
  }

  /**
   * The kept bytes followed by the new chunk. In a part body the kept bytes are a possible
   * delimiter prefix: settle them against the chunk's first bytes and go on with the chunk itself,
   * so body bytes are never copied (a 25 MiB file would otherwise be copied once more in full).
   */
  private joinPending(chunk: Buffer, events: MultipartEvent[]): Buffer {
    const pending = this.pending
    const d = this.delimiter.length
    if (this.state !== 'body' || chunk.length < d) return Buffer.concat([pending, chunk])
    const window = Buffer.concat([pending, chunk.subarray(0, d - 1)])
    const i = window.indexOf(this.delimiter)
    if (i < 0) {
      // no delimiter straddles the seam: what was kept is body
      events.push({ type: 'data', data: pending })
      return chunk
    }
    // a match inside the window starts within the kept bytes (it is d long, the window d - 1 past them)
    if (i > 0) events.push({ type: 'data', data: pending.subarray(0, i) })
    events.push({ type: 'part_end' })
    this.state = 'after_delimiter'
    return chunk.subarray(i + d - pending.length)
  }

  private keepTail(buf: Buffer): Buffer {
    const keep = this.delimiter.length - 1
    return buf.length > keep ? buf.subarray(buf.length - keep) : buf
  }
}
