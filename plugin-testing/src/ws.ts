/**
 * @revka/plugin-testing — a JSON WebSocket client for plugin tests: it records every frame,
 * lets a test wait for the next frame of a type (or collect all up to one), and rejects an
 * upgrade the gateway refused with its HTTP status.
 *
 * ```ts
 * const s = await openJsonSocket(`${k.url.replace(/^http/, 'ws')}/ws/chat`, { ...wsCredentials(k.token), protocols: ['revka.v1'] })
 * s.send({ type: 'message', content: 'hi' })
 * const done = await s.next('done')
 * ```
 */
import WebSocket from 'ws'

export type JsonFrame = Record<string, any> & { type: string }

export interface JsonSocket {
  ws: WebSocket
  /** every frame received so far, in order */
  frames: JsonFrame[]
  /** the next unread frame of `type` (unread frames of other types are skipped), failing after `ms` */
  next(type?: string, ms?: number): Promise<JsonFrame>
  /** the unread frames up to and including the first of `type` */
  until(type: string, ms?: number): Promise<JsonFrame[]>
  /** send an object as JSON (a string as it is) */
  send(frame: unknown): void
  /** the close code and reason, once the socket closed */
  closed: Promise<{ code: number; reason: string }>
  /** close and wait for it; `terminate` drops the connection without a closing handshake */
  close(how?: 'close' | 'terminate'): Promise<void>
}

export interface JsonSocketOptions {
  protocols?: string[]
  headers?: Record<string, string>
  /** sees every frame first (an auto-responder, for instance) */
  onFrame?: (frame: JsonFrame, send: (frame: unknown) => void) => void
}

/** Where a test puts a bearer token on an upgrade (the contract's three places), for `openJsonSocket`. */
export function wsCredentials(
  token: string | null | undefined,
  placement: 'header' | 'subprotocol' | 'query' = 'header',
): { headers?: Record<string, string>; protocols: string[]; query: string } {
  if (!token) return { protocols: [], query: '' }
  if (placement === 'header') return { headers: { authorization: `Bearer ${token}` }, protocols: [], query: '' }
  if (placement === 'subprotocol') return { protocols: [`bearer.${token}`], query: '' }
  return { protocols: [], query: `token=${encodeURIComponent(token)}` }
}

/** Resolves once upgraded; rejects with an error carrying `statusCode` when the upgrade is refused. */
export function openJsonSocket(url: string, o: JsonSocketOptions = {}): Promise<JsonSocket> {
  const ws = new WebSocket(url, o.protocols ?? [], { headers: o.headers })
  const frames: JsonFrame[] = []
  let read = 0
  const waiters = new Set<() => void>()
  const send = (f: unknown) => ws.send(typeof f === 'string' ? f : JSON.stringify(f))
  ws.on('message', (d) => {
    const frame = JSON.parse(String(d)) as JsonFrame
    frames.push(frame)
    o.onFrame?.(frame, send)
    for (const w of [...waiters]) w()
  })
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: String(reason) })))
  const take = (type: string | undefined, ms: number, collect: boolean) =>
    new Promise<JsonFrame[]>((resolve, reject) => {
      const seen: JsonFrame[] = []
      const check = () => {
        while (read < frames.length) {
          const f = frames[read++]
          if (collect) seen.push(f)
          if (!type || f.type === type) {
            done()
            resolve(collect ? seen : [f])
            return
          }
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`no "${type ?? 'any'}" frame within ${ms} ms; frames so far: ${JSON.stringify(frames).slice(0, 2000)}`))
      }, ms)
      const done = () => {
        clearTimeout(timer)
        waiters.delete(check)
      }
      waiters.add(check)
      check()
    })
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { statusCode: res.statusCode }))
      res.resume()
      ws.terminate()
    })
    ws.once('error', reject)
    ws.once('open', () =>
      resolve({
        ws,
        frames,
        next: async (type, ms = 5000) => (await take(type, ms, false))[0],
        until: (type, ms = 5000) => take(type, ms, true),
        send,
        closed,
        close: (how = 'close') =>
          new Promise<void>((res) => {
            if (ws.readyState === WebSocket.CLOSED) return res()
            ws.once('close', () => res())
            if (how === 'terminate') ws.terminate()
            else ws.close()
          }),
      }),
    )
  })
}
