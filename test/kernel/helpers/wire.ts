/**
 * Raw TCP for the wire tests. Node's HTTP client hides exactly what these tests are about (it
 * buffers, retries, and refuses to send a body shorter than its Content-Length), so requests are
 * written byte by byte on a `node:net` socket and the response is read back as text.
 */
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export interface RawResponse {
  /** HTTP status, or null when the server closed without answering */
  status: number | null
  headers: Record<string, string>
  body: string
  /** ms from connect until the server answered or closed (whichever came first) */
  elapsedMs: number
  /** true when the server ended the connection */
  closed: boolean
}

/** a piece of the request: bytes to write, or a pause in ms */
export type Step = string | Buffer | { pause: number }

function parse(raw: Buffer): Pick<RawResponse, 'status' | 'headers' | 'body'> {
  const text = raw.toString('latin1')
  const end = text.indexOf('\r\n\r\n')
  if (!text.startsWith('HTTP/1.1 ') || end < 0) return { status: null, headers: {}, body: text }
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n')
  const headers: Record<string, string> = {}
  for (const l of lines) {
    const i = l.indexOf(':')
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim()
  }
  let body = text.slice(end + 4)
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body)
  return { status: Number(statusLine.split(' ')[1]), headers, body }
}

function dechunk(s: string): string {
  let out = ''
  let rest = s
  for (;;) {
    const nl = rest.indexOf('\r\n')
    if (nl < 0) return out
    const n = parseInt(rest.slice(0, nl), 16)
    if (!n) return out
    out += rest.slice(nl + 2, nl + 2 + n)
    rest = rest.slice(nl + 2 + n + 2)
  }
}

/**
 * Connect to `base` (http://127.0.0.1:PORT), play the steps, and wait until the server closes the
 * connection, a complete response has arrived, or `waitMs` passes. Write errors after the server
 * has answered (it may stop reading an oversized body) are expected and ignored.
 */
export async function rawExchange(base: string, steps: Step[], waitMs = 5000): Promise<RawResponse> {
  const { hostname, port } = new URL(base)
  const socket: Socket = connect(Number(port), hostname)
  socket.on('error', () => {})
  const chunks: Buffer[] = []
  const started = Date.now()
  let answeredAt = 0
  let closed = false
  const settled = new Promise<void>((resolve) => {
    const check = () => {
      const p = parse(Buffer.concat(chunks))
      const len = Number(p.headers['content-length'])
      if (p.status !== null && Number.isFinite(len) && Buffer.byteLength(p.body, 'latin1') >= len) resolve()
    }
    socket.on('data', (d) => {
      chunks.push(d)
      if (!answeredAt) answeredAt = Date.now()
      check()
    })
    socket.on('close', () => {
      closed = true
      if (!answeredAt) answeredAt = Date.now()
      resolve()
    })
    setTimeout(resolve, waitMs).unref()
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  // pauses are abortable so a finished exchange leaves no timer keeping the test process alive
  const done = new AbortController()
  void (async () => {
    for (const s of steps) {
      if (closed || socket.destroyed || done.signal.aborted) return
      if (typeof s === 'object' && !Buffer.isBuffer(s)) await sleep(s.pause, undefined, { signal: done.signal }).catch(() => {})
      else socket.write(s)
    }
  })()
  await settled
  done.abort()
  // give a closing server a moment so `closed` reflects what it did after answering
  if (!closed) await Promise.race([new Promise((r) => socket.once('close', r)), sleep(200)])
  const result = { ...parse(Buffer.concat(chunks)), elapsedMs: (answeredAt || Date.now()) - started, closed }
  socket.destroy()
  return result
}

/** the request head for a POST with the given headers (Host is always set) */
export function head(method: string, path: string, headers: Record<string, string | number> = {}): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1']
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`)
  return lines.join('\r\n') + '\r\n\r\n'
}

/** a fixed-length POST body in one write */
export function post(path: string, body: Buffer, contentType = 'application/octet-stream'): Step[] {
  return [head('POST', path, { 'Content-Type': contentType, 'Content-Length': body.length, Connection: 'close' }), body]
}

/** a chunked POST (no Content-Length) of `total` bytes in chunks of `size` */
export function chunkedPost(path: string, total: number, size = 8192): Step[] {
  const steps: Step[] = [head('POST', path, { 'Content-Type': 'application/octet-stream', 'Transfer-Encoding': 'chunked', Connection: 'close' })]
  for (let sent = 0; sent < total; sent += size) {
    const n = Math.min(size, total - sent)
    steps.push(Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), Buffer.alloc(n, 0x61), Buffer.from('\r\n')]))
  }
  steps.push('0\r\n\r\n')
  return steps
}
