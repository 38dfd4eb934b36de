/**
 * Test support (not a test): a `/ws/chat` client over a real socket that records every frame and
 * lets a test wait for the next frame of a type, plus a kernel starter for chat tests.
 */
import { fileURLToPath } from 'node:url'
import { openJsonSocket, startTestKernel, wsCredentials, type JsonFrame, type JsonSocket, type TestKernel, type TestKernelOptions } from '@revka/plugin-sdk/testing'

export const SCRIPTED_RUNTIME = fileURLToPath(new URL('../test-fixtures/scripted-runtime', import.meta.url))
export const CHAT_TOOLS = fileURLToPath(new URL('../test-fixtures/chat-tools', import.meta.url))

export type Frame = JsonFrame

export interface ChatClient {
  ws: JsonSocket['ws']
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
export async function openChat(k: TestKernel, o: OpenOptions = {}): Promise<ChatClient> {
  const cred = wsCredentials(o.token ?? k.token!, o.placement ?? 'header')
  const q = new URLSearchParams(o.query ?? {})
  const qs = [q.toString(), cred.query].filter(Boolean).join('&')
  const s = await openJsonSocket(`${k.url!.replace(/^http/, 'ws')}/ws/chat${qs ? `?${qs}` : ''}`, {
    protocols: o.protocols ?? ['revka.v1', ...cred.protocols],
    headers: cred.headers,
  })
  return { ws: s.ws, frames: s.frames, next: s.next, until: s.until, send: s.send, close: () => s.close() }
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
