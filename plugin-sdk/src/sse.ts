/**
 * Server-Sent Events over a hijacked reply: headers, `id:`/`data:` frames, keep-alive comments, and
 * a bounded write buffer so a slow reader is dropped instead of growing memory.
 *
 * Fan-out (one event to many streams) should serialise once: `formatSseFrame()` builds a frame,
 * `new SseFrames(text)` encodes one or more of them once, and `sendFrame()` writes that same
 * Buffer to every stream. Every write is a syscall on its socket, so a broadcaster that batches
 * frames per write, rather than per event, is what keeps a thousand subscribers affordable.
 */
import type { RawReplyAccess } from './types.js'

/** Keep-alive, buffer bound and headers of a stream `startSse` opens. */
export interface SseOptions {
  /** keep-alive comment interval, ms (default 15 000) */
  keepAliveMs?: number
  /** drop the client when this many bytes are waiting in the socket buffer (default 1 MiB) */
  maxBufferedBytes?: number
  /** extra response headers */
  headers?: Record<string, string>
  /**
   * once the stream has ended, how long its socket may take to flush what is queued before it is
   * destroyed, ms (default 5 000): a client that stopped reading would otherwise keep the socket,
   * and every byte queued for it, for as long as the TCP connection lives
   */
  dropGraceMs?: number
}

/** The optional `id:` and `event:` lines of one SSE frame. */
export interface SseFrameOptions {
  id?: number | string
  event?: string
}

/** An open SSE stream: send events or ready-made frames, and learn when the client left. */
export interface SseStream {
  /** send one event; returns false (and closes) when the client is too slow */
  send(data: unknown, opts?: SseFrameOptions): boolean
  /**
   * Write text that is already whole SSE frames (from `formatSseFrame`, possibly several joined),
   * unchanged. Given `SseFrames`, the bytes encoded once are written as they are — one Buffer
   * shared by every stream it goes to. Same slow-client rule as `send`.
   */
  sendFrame(frames: string | SseFrames): boolean
  comment(text: string): void
  close(): void
  readonly closed: boolean
  onClose(fn: () => void): void
}

const LINE_BREAK = /\r\n|\r|\n/

/**
 * One SSE frame (ending in the blank line): `id:`, `event:`, then `data:` — objects as JSON, strings
 * as given, one `data:` line per line of text (any of CR, LF, CRLF ends a line in SSE, so each must
 * start a new `data:` line or the text could forge fields).
 */
export function formatSseFrame(data: unknown, o: SseFrameOptions = {}): string {
  let frame = ''
  if (o.id !== undefined) frame += `id: ${o.id}\n`
  if (o.event) frame += `event: ${o.event}\n`
  if (typeof data === 'string') {
    for (const l of data.split(LINE_BREAK)) frame += `data: ${l}\n`
  } else {
    // JSON.stringify escapes every line break inside strings and adds none: always one line
    frame += `data: ${JSON.stringify(data)}\n`
  }
  return frame + '\n'
}

/**
 * SSE text encoded once for many streams. It is kept as the HTTP/1.1 chunk a streamed response
 * sends (`size CRLF bytes CRLF`), so a stream can hand it to its socket in one write instead of
 * letting `http` frame it again, per stream, as three buffers behind a cork.
 */
export class SseFrames {
  readonly byteLength: number
  /** `size CRLF text CRLF` */
  readonly chunk: Buffer
  private readonly head: number

  constructor(text: string) {
    this.byteLength = Buffer.byteLength(text)
    const size = `${this.byteLength.toString(16)}\r\n`
    this.head = size.length
    this.chunk = Buffer.from(size + text + '\r\n', 'utf8')
  }

  /** the frames alone (a view of `chunk`, not a copy) */
  get bytes(): Buffer {
    return this.chunk.subarray(this.head, this.head + this.byteLength)
  }
}

/** Turn a route's reply into a Server-Sent Events stream (hijacks the reply; headers are written at once). */
export function startSse(reply: RawReplyAccess, opts: SseOptions = {}): SseStream {
  reply.hijack()
  const raw = reply.raw
  // setHeader (not writeHead's object) so the kernel can still read the content type when it
  // ends the stream on revocation or shutdown
  const headers: Record<string, string> = {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...opts.headers,
  }
  for (const [k, v] of Object.entries(headers)) raw.setHeader(k, v)
  raw.writeHead(200)
  raw.write(': connected\n\n')
  // decided by writeHead: chunked for HTTP/1.1 clients, close-delimited for HTTP/1.0 ones; a HEAD
  // response has no body at all, so nothing may bypass http for it
  const chunked = raw.chunkedEncoding && raw.req?.method !== 'HEAD'
  const max = opts.maxBufferedBytes ?? 1024 * 1024
  let closed = false
  const closers: Array<() => void> = []
  const timer = setInterval(() => write(': keep-alive\n\n'), opts.keepAliveMs ?? 15_000)
  timer.unref()
  // captured now: the response lets go of its socket once it has ended
  const socket = raw.socket
  const finish = () => {
    if (closed) return
    closed = true
    clearInterval(timer)
    releaseSocketLater(socket, opts.dropGraceMs ?? 5000)
    for (const fn of closers) {
      try {
        fn()
      } catch {}
    }
  }
  raw.once('close', finish)
  // a HEAD request gets the headers and nothing else: with no body to send, an open stream would
  // hang the client until it gave up
  if (raw.req?.method === 'HEAD') {
    raw.end()
    finish()
  }
  function write(chunk: string | Uint8Array): boolean {
    if (closed || raw.writableEnded) return false
    raw.write(chunk)
    return checkBuffered()
  }
  /**
   * Shared frames go to the socket as the one chunk they already are. Only while this response
   * owns a writable socket: a pipelined response has none until the one before it ends (http then
   * queues its writes, and bypassing that queue would reorder bytes). http's own writes (keep-alive
   * comments, the kernel's final event) go straight to the same socket, so order is kept.
   */
  function writeFrames(frames: SseFrames): boolean {
    if (closed || raw.writableEnded) return false
    if (frames.byteLength === 0) return true // an empty chunk would end the response
    const socket = raw.socket
    if (!chunked || !socket || !socket.writable) return write(frames.bytes)
    socket.write(frames.chunk)
    return checkBuffered()
  }
  function checkBuffered(): boolean {
    // includes what waits in the socket, however it was written
    if (raw.writableLength > max) {
      // too slow: tell it why, then let it go rather than buffer without bound
      raw.end(
        `event: error\ndata: ${JSON.stringify({ type: 'error', code: 'slow_consumer', message: 'client too slow; events dropped, reconnect with Last-Event-ID' })}\n\n`,
      )
      finish()
      return false
    }
    return true
  }
  return {
    send(data, o = {}) {
      return write(formatSseFrame(data, o))
    },
    sendFrame(frames) {
      return typeof frames === 'string' ? write(frames) : writeFrames(frames)
    },
    comment(text) {
      write(`: ${text.replace(/[\r\n]/g, ' ')}\n\n`)
    },
    close() {
      if (!raw.writableEnded) raw.end()
      finish()
    },
    get closed() {
      return closed
    },
    onClose(fn) {
      if (closed) fn()
      else closers.push(fn)
    },
  }
}

/**
 * `end()` hands the unsent bytes to the socket and the response counts as finished, but a client
 * that never reads keeps them (and the socket) alive as long as it likes: give it `graceMs` to
 * drain, then let the socket go.
 */
function releaseSocketLater(socket: import('node:net').Socket | null, graceMs: number): void {
  if (!socket || socket.destroyed) return
  const onSocketClose = () => clearTimeout(timer)
  const timer = setTimeout(() => {
    // keep-alive sockets serve many responses: leave no listener per stream behind
    socket.removeListener('close', onSocketClose)
    if (!socket.destroyed && socket.writableLength > 0) socket.destroy()
  }, graceMs)
  timer.unref()
  socket.once('close', onSocketClose)
}
