/**
 * Server-Sent Events over a hijacked reply: headers, `id:`/`data:` frames, keep-alive comments, and
 * a bounded write buffer so a slow reader is dropped instead of growing memory.
 */
import type { RawReplyAccess } from './types.js'

export interface SseOptions {
  /** keep-alive comment interval, ms (default 15 000) */
  keepAliveMs?: number
  /** drop the client when this many bytes are waiting in the socket buffer (default 1 MiB) */
  maxBufferedBytes?: number
  /** extra response headers */
  headers?: Record<string, string>
}

export interface SseStream {
  /** send one event; returns false (and closes) when the client is too slow */
  send(data: unknown, opts?: { id?: number | string; event?: string }): boolean
  comment(text: string): void
  close(): void
  readonly closed: boolean
  onClose(fn: () => void): void
}

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
  const max = opts.maxBufferedBytes ?? 1024 * 1024
  let closed = false
  const closers: Array<() => void> = []
  const timer = setInterval(() => write(': keep-alive\n\n'), opts.keepAliveMs ?? 15_000)
  timer.unref()
  const finish = () => {
    if (closed) return
    closed = true
    clearInterval(timer)
    for (const fn of closers) { try { fn() } catch {} }
  }
  raw.once('close', finish)
  function write(chunk: string): boolean {
    if (closed || raw.writableEnded) return false
    raw.write(chunk)
    if (raw.writableLength > max) {
      // too slow: tell it why, then let it go rather than buffer without bound
      raw.end(`event: error\ndata: ${JSON.stringify({ type: 'error', code: 'slow_consumer', message: 'client too slow; events dropped, reconnect with Last-Event-ID' })}\n\n`)
      finish()
      return false
    }
    return true
  }
  return {
    send(data, o = {}) {
      const lines = typeof data === 'string' ? data : JSON.stringify(data)
      let frame = ''
      if (o.id !== undefined) frame += `id: ${o.id}\n`
      if (o.event) frame += `event: ${o.event}\n`
      for (const l of lines.split('\n')) frame += `data: ${l}\n`
      return write(frame + '\n')
    },
    comment(text) { write(`: ${text.replace(/\n/g, ' ')}\n\n`) },
    close() {
      if (!raw.writableEnded) raw.end()
      finish()
    },
    get closed() { return closed },
    onClose(fn) { if (closed) fn(); else closers.push(fn) },
  }
}
