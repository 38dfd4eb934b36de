/**
 * HTTP over a bare TCP socket. The fuzzer needs to send what Node's client refuses to (NUL and raw
 * UTF-8 in the path, duplicate and oversized headers, a body that disagrees with its framing) and
 * to read back what the server really wrote, including the replies Node's parser rejects before
 * Fastify ever sees the request. Streams (SSE) are read for a moment and then hung up on.
 */
import { connect } from 'node:net'

export interface RawReply {
  /** null when the server closed (or went quiet) without a status line */
  status: number | null
  headers: Record<string, string>
  /** every value of a header that was sent more than once, lower-cased names */
  repeated: Record<string, string[]>
  body: Buffer
  /** the server ended the connection */
  closed: boolean
  /** nothing complete arrived within `waitMs` */
  timedOut: boolean
  /** a streaming reply (SSE, or no length and no chunked end yet) cut off by us after `streamMs` */
  streamed: boolean
}

export interface RawOptions {
  /** give up after this long (default 8 s) */
  waitMs?: number
  /** how long to read an open-ended stream before hanging up (default 300 ms) */
  streamMs?: number
  /** a HEAD request: the reply has headers only, whatever its Content-Length says */
  head?: boolean
}

interface Head {
  status: number
  headers: Record<string, string>
  repeated: Record<string, string[]>
  bodyStart: number
}

function parseHead(buf: Buffer, from: number): Head | null {
  const end = buf.indexOf('\r\n\r\n', from)
  if (end < 0) return null
  const text = buf.subarray(from, end).toString('latin1')
  const [statusLine, ...lines] = text.split('\r\n')
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)
  if (!m) return { status: -1, headers: {}, repeated: {}, bodyStart: end + 4 }
  const headers: Record<string, string> = {}
  const repeated: Record<string, string[]> = {}
  for (const l of lines) {
    const i = l.indexOf(':')
    if (i <= 0) continue
    const k = l.slice(0, i).trim().toLowerCase()
    const v = l.slice(i + 1).trim()
    ;(repeated[k] ??= []).push(v)
    headers[k] = k in headers ? `${headers[k]}, ${v}` : v
  }
  return { status: Number(m[1]), headers, repeated, bodyStart: end + 4 }
}

/** the body of a chunked message, or null while its terminating chunk has not arrived */
function dechunk(buf: Buffer): Buffer | null {
  const out: Buffer[] = []
  let at = 0
  for (;;) {
    const nl = buf.indexOf('\r\n', at)
    if (nl < 0) return null
    const n = parseInt(buf.subarray(at, nl).toString('latin1'), 16)
    if (!Number.isFinite(n)) return Buffer.concat(out)
    if (n === 0) return Buffer.concat(out)
    if (buf.length < nl + 2 + n + 2) return null
    out.push(buf.subarray(nl + 2, nl + 2 + n))
    at = nl + 2 + n + 2
  }
}

/** Write `request` (already framed bytes) to `base` and read one reply (1xx interim replies skipped). */
export function rawRequest(base: string, request: Buffer | string, opts: RawOptions = {}): Promise<RawReply> {
  const { hostname, port } = new URL(base)
  const waitMs = opts.waitMs ?? 8000
  const streamMs = opts.streamMs ?? 300
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname)
    const chunks: Buffer[] = []
    let closed = false
    let done = false
    let streamTimer: NodeJS.Timeout | undefined
    const finish = (extra: Partial<RawReply> = {}) => {
      if (done) return
      done = true
      clearTimeout(timer)
      clearTimeout(streamTimer)
      const buf = Buffer.concat(chunks)
      let at = 0
      let head = parseHead(buf, at)
      while (head && head.status >= 100 && head.status < 200 && head.status !== 101) {
        at = head.bodyStart
        head = parseHead(buf, at)
      }
      let body: Buffer = head ? buf.subarray(head.bodyStart) : buf
      if (head?.headers['transfer-encoding']?.includes('chunked')) body = dechunk(body) ?? body
      // whatever follows the declared length is not this reply (a second answer on the connection)
      else if (head?.headers['content-length'] !== undefined) body = body.subarray(0, Number(head.headers['content-length']))
      socket.destroy()
      resolve({
        status: head && head.status > 0 ? head.status : null,
        headers: head?.headers ?? {},
        repeated: head?.repeated ?? {},
        body,
        closed,
        timedOut: false,
        streamed: false,
        ...extra,
      })
    }
    const check = () => {
      const buf = Buffer.concat(chunks)
      let head = parseHead(buf, 0)
      while (head && head.status >= 100 && head.status < 200 && head.status !== 101) head = parseHead(buf, head.bodyStart)
      if (!head) return
      if (head.status === 101 || opts.head || head.status === 204 || head.status === 304) return finish()
      const body = buf.subarray(head.bodyStart)
      const len = head.headers['content-length']
      if (len !== undefined && !head.headers['transfer-encoding']) {
        if (body.length >= Number(len)) finish()
        return
      }
      if (head.headers['transfer-encoding']?.includes('chunked') && dechunk(body) !== null) return finish()
      // open-ended (an event stream, or a body delimited by close): read a little, then hang up
      streamTimer ??= setTimeout(() => finish({ streamed: true }), streamMs)
    }
    const timer = setTimeout(() => finish({ timedOut: true }), waitMs)
    socket.on('data', (d) => {
      chunks.push(d)
      check()
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      closed = true
      finish()
    })
    socket.on('connect', () => {
      // the server may answer (413, 431) and hang up before the whole request is written
      socket.write(request, () => {})
    })
  })
}

/**
 * A request's bytes: request line, headers in order (duplicates allowed), blank line, body.
 * Strings go out as UTF-8 exactly as given (no percent-encoding, no validation).
 */
export function frame(method: string, path: string | Buffer, headers: Array<[string, string | Buffer]>, body?: Buffer): Buffer {
  const parts: Buffer[] = [
    Buffer.from(`${method} `, 'latin1'),
    Buffer.isBuffer(path) ? path : Buffer.from(path, 'utf8'),
    Buffer.from(' HTTP/1.1\r\n', 'latin1'),
  ]
  for (const [k, v] of headers) parts.push(Buffer.from(`${k}: `, 'latin1'), Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8'), Buffer.from('\r\n', 'latin1'))
  parts.push(Buffer.from('\r\n', 'latin1'))
  if (body) parts.push(body)
  return Buffer.concat(parts)
}
