/**
 * A small SSE client for this plugin's tests: a real socket (`http.get`), frames parsed exactly as
 * they arrive on the wire (`id:`, `event:`, `data:` and `:` comments), and waits with timeouts so
 * a missing frame fails the test quickly instead of hanging it.
 */
import http from 'node:http'

export interface SseFrame {
  id?: string
  event?: string
  data?: string
  comment?: string
  /** `data` parsed as JSON, when it is JSON */
  json?: any
}

export interface SseClient {
  status: number
  headers: http.IncomingHttpHeaders
  /** the body when the server did not answer with a stream (errors) */
  body: string
  frames: SseFrame[]
  /** resolves when the server ends the response or the socket closes */
  ended: Promise<void>
  isEnded(): boolean
  /** the next frame after the previous match that satisfies `pred` */
  next(pred?: (f: SseFrame) => boolean, timeoutMs?: number): Promise<SseFrame>
  /** the next frame that carries data (an event) */
  nextEvent(pred?: (json: any, f: SseFrame) => boolean, timeoutMs?: number): Promise<SseFrame>
  close(): void
}

function parseFrame(block: string): SseFrame {
  const f: SseFrame = {}
  const data: string[] = []
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      f.comment = line.slice(1).trim()
      continue
    }
    const i = line.indexOf(':')
    const field = i === -1 ? line : line.slice(0, i)
    const value = i === -1 ? '' : line.slice(i + 1).replace(/^ /, '')
    if (field === 'id') f.id = value
    else if (field === 'event') f.event = value
    else if (field === 'data') data.push(value)
  }
  if (data.length) {
    f.data = data.join('\n')
    try {
      f.json = JSON.parse(f.data)
    } catch {}
  }
  return f
}

export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const frames: SseFrame[] = []
      const waiters = new Set<() => void>()
      let buf = ''
      let body = ''
      let ended = false
      let cursor = 0
      const wake = () => {
        for (const w of [...waiters]) w()
      }
      const streaming = String(res.headers['content-type'] ?? '').startsWith('text/event-stream')
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        if (!streaming) {
          body += chunk
          return
        }
        buf += chunk
        let i: number
        while ((i = buf.indexOf('\n\n')) !== -1) {
          frames.push(parseFrame(buf.slice(0, i)))
          buf = buf.slice(i + 2)
        }
        wake()
      })
      const endedP = new Promise<void>((done) => {
        const finish = () => {
          if (!ended) {
            ended = true
            wake()
            done()
          }
        }
        res.once('end', finish)
        res.once('close', finish)
        res.once('error', finish)
      })
      const next = (pred: (f: SseFrame) => boolean = () => true, timeoutMs = 3000) =>
        new Promise<SseFrame>((ok, fail) => {
          const check = (): boolean => {
            for (let j = cursor; j < frames.length; j++) {
              if (pred(frames[j])) {
                cursor = j + 1
                cleanup()
                ok(frames[j])
                return true
              }
            }
            if (ended) {
              cleanup()
              fail(new Error(`stream ended before the expected frame; got ${JSON.stringify(frames.slice(cursor))}`))
              return true
            }
            return false
          }
          const timer = setTimeout(() => {
            cleanup()
            fail(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames.slice(cursor))}`))
          }, timeoutMs)
          const waiter = () => {
            check()
          }
          const cleanup = () => {
            clearTimeout(timer)
            waiters.delete(waiter)
          }
          if (!check()) waiters.add(waiter)
        })
      const client: SseClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        get body() {
          return body
        },
        frames,
        ended: endedP,
        isEnded: () => ended,
        next,
        nextEvent: (pred = () => true, timeoutMs) => next((f) => f.data !== undefined && pred(f.json, f), timeoutMs),
        close: () => {
          req.destroy()
          res.destroy()
        },
      }
      if (streaming) resolve(client)
      else endedP.then(() => resolve(client))
    })
    req.once('error', reject)
  })
}

/** poll `cond` until it holds or `timeoutMs` passes */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
