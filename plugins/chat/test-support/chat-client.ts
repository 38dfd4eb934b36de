/**
 * Test support (not a test): a `/ws/chat` client over a real socket that records every frame and
 * lets a test wait for the next frame of a type, plus a kernel starter for chat tests.
 */
import WebSocket from 'ws'
import { fileURLToPath } from 'node:url'
import { startTestKernel, type TestKernel, type TestKernelOptions } from '@revka/plugin-sdk/testing'

export const SCRIPTED_RUNTIME = fileURLToPath(new URL('../test-fixtures/scripted-runtime', import.meta.url))
export const CHAT_TOOLS = fileURLToPath(new URL('../test-fixtures/chat-tools', import.meta.url))

export type Frame = Record<string, any> & { type: string }

export interface ChatClient {
  ws: WebSocket
  frames: Frame[]
  /** resolves with the next unread frame matching `type` (or any), failing after `ms` */
  next(type?: string, ms?: number): Promise<Frame>
  /** unread frames up to and including the first of `type` */
  until(type: string, ms?: number): Promise<Frame[]>
  send(frame: unknown): void
  close(): Promise<void>
}

export interface OpenOptions {
  token?: string
  /** where the token goes */
  placement?: 'header' | 'subprotocol' | 'query'
  query?: Record<string, string>
  protocols?: string[]
}

/** Connects and waits for the upgrade; rejects with the HTTP status when refused. */
export function openChat(k: TestKernel, o: OpenOptions = {}): Promise<ChatClient> {
  const token = o.token ?? k.token!
  const placement = o.placement ?? 'header'
  const q = new URLSearchParams(o.query ?? {})
  if (placement === 'query') q.set('token', token)
  const qs = q.toString()
  const url = `${k.url!.replace(/^http/, 'ws')}/ws/chat${qs ? `?${qs}` : ''}`
  const protocols = o.protocols ?? ['revka.v1', ...(placement === 'subprotocol' ? [`bearer.${token}`] : [])]
  const headers = placement === 'header' ? { authorization: `Bearer ${token}` } : undefined
  const ws = new WebSocket(url, protocols, { headers })
  const frames: Frame[] = []
  let read = 0
  const waiters = new Set<() => void>()
  ws.on('message', (d) => {
    frames.push(JSON.parse(String(d)))
    for (const w of [...waiters]) w()
  })
  const takeNext = (type: string | undefined, ms: number, collect: boolean): Promise<Frame[]> => new Promise((resolve, reject) => {
    const seen: Frame[] = []
    const check = () => {
      while (read < frames.length) {
        const f = frames[read++]
        if (collect) seen.push(f)
        if (!type || f.type === type) {
          cleanup()
          resolve(collect ? seen : [f])
          return
        }
      }
    }
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`no "${type ?? 'any'}" frame within ${ms} ms; frames so far: ${JSON.stringify(frames).slice(0, 2000)}`))
    }, ms)
    const cleanup = () => { clearTimeout(timer); waiters.delete(check) }
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
    ws.once('open', () => resolve({
      ws,
      frames,
      next: async (type, ms = 5000) => (await takeNext(type, ms, false))[0],
      until: (type, ms = 5000) => takeNext(type, ms, true),
      send: (f) => ws.send(typeof f === 'string' ? f : JSON.stringify(f)),
      close: () => new Promise<void>((res) => {
        if (ws.readyState === WebSocket.CLOSED) return res()
        ws.once('close', () => res())
        ws.close()
      }),
    }))
  })
}

/** A kernel with chat and the scripted runtime (or the given plugins/paths instead). */
export function startChatKernel(o: TestKernelOptions = {}): Promise<TestKernel> {
  return startTestKernel({
    plugins: o.plugins ?? ['chat'],
    paths: o.paths ?? [SCRIPTED_RUNTIME],
    ...o,
  })
}

/**
 * An HTTP request over a real socket with the path sent byte for byte (inject and fetch normalise
 * `%2e%2e` and `..` away, which would hide exactly what a traversal test must send).
 */
export function rawHttp(k: TestKernel, o: { method?: string; path: string; headers?: Record<string, string | number>; body?: Buffer | string }): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const u = new URL(k.url!)
    import('node:http').then(({ request }) => {
      const req = request({ host: u.hostname, port: u.port, method: o.method ?? 'GET', path: o.path, headers: o.headers }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let body: any = text
          try { body = JSON.parse(text) } catch {}
          resolve({ status: res.statusCode!, body })
        })
      })
      req.on('error', reject)
      req.end(o.body)
    }, reject)
  })
}
