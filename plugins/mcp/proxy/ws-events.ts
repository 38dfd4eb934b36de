/**
 * `/ws/mcp/events` (contract §3.4): a session's progress stream for browsers, which cannot put the
 * MCP token in a header of an EventSource. The gateway opens the upstream SSE stream with
 * `Authorization: Bearer <mcp_token>` and forwards each event's `data:` (multi-line data joined with
 * `\n`) as one text frame. Client frames are ignored. If the upstream cannot be opened the client
 * gets `{"error":"daemon-unreachable","detail"}` and the socket closes.
 */
import { httpError, type RevkaRequest, type RevkaSocket, type WebSocketHandler } from '@revka/plugin-sdk'
import { forward } from './forward.js'

const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/

/** Incremental SSE parser: feed text, get each complete event's data. */
export class SseDataParser {
  private buf = ''
  private data: string[] = []

  feed(chunk: string, onData: (data: string) => void): void {
    this.buf += chunk
    let nl: number
    while ((nl = this.buf.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buf.slice(0, nl)
      this.buf = this.buf.slice(nl + (this.buf.startsWith('\r\n', nl) ? 2 : 1))
      if (line === '') {
        if (this.data.length) onData(this.data.join('\n'))
        this.data = []
      } else if (line.startsWith('data:')) {
        this.data.push(line.slice(line[5] === ' ' ? 6 : 5))
      }
      // comments (keep-alives), event:, id: and retry: lines carry nothing to forward
    }
  }
}

/** refuse the upgrade (400) before the 101 when a parameter is missing; 503 when unbound */
export function admitEvents(base: () => string) {
  return (req: RevkaRequest<undefined>) => {
    const sid = req.query.session_id
    const tok = req.query.mcp_token
    if (!sid || !tok) throw httpError(400, 'missing_parameter', 'session_id and mcp_token query parameters are required')
    if (!SESSION_ID.test(sid)) throw httpError(400, 'invalid_session_id', 'session_id must be 1–128 characters of A–Z, a–z, 0–9, "_" or "-"')
    base()
  }
}

export function eventsSocket(base: () => string): WebSocketHandler {
  return async (socket: RevkaSocket, req: RevkaRequest<undefined>) => {
    const unreachable = (detail: string) => {
      if (socket.readyState !== 1) return
      socket.send(JSON.stringify({ error: 'daemon-unreachable', detail }))
      socket.close(1011, 'mcp upstream unreachable')
    }
    const ac = new AbortController()
    socket.on('close', () => ac.abort())
    let res
    try {
      res = await forward(base(), {
        method: 'GET',
        path: `/session/${encodeURIComponent(String(req.query.session_id))}/events`,
        timeoutMs: null,
        signal: ac.signal,
        headers: { accept: 'text/event-stream', authorization: `Bearer ${req.query.mcp_token}` },
      })
    } catch (e) {
      return unreachable((e as Error).message)
    }
    if (res.statusCode !== 200) {
      res.resume()
      return unreachable(`the MCP server answered ${res.statusCode} (unknown session or wrong mcp_token?)`)
    }
    if (ac.signal.aborted) {
      res.destroy()
      return
    }
    const parser = new SseDataParser()
    res.setEncoding('utf8')
    res.on('data', (chunk: string) =>
      parser.feed(chunk, (data) => {
        if (socket.readyState === 1) socket.send(data)
      }),
    )
    res.once('close', () => {
      if (socket.readyState === 1) socket.close(1001, 'mcp event stream ended')
    })
    socket.on('close', () => res.destroy())
  }
}
