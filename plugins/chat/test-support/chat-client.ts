/**
 * Test support (not a test): a `/ws/chat` client over a real socket that records every frame and
 * lets a test wait for the next frame of a type, plus a kernel starter for chat tests.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { before, after } from 'node:test'
import { fileURLToPath } from 'node:url'
import { readAnswer } from './upload-client.js'
import { openJsonSocket, startTestKernel, wsCredentials, type JsonFrame, type JsonSocket, type TestKernel, type TestKernelOptions } from '@revka/plugin-testing'

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

/** One chat kernel for a test file: started before its tests (handed to `use`), stopped after them. */
export function chatKernelPerFile(use: (k: TestKernel) => void): void {
  let k: TestKernel | undefined
  before(async () => {
    k = await startChatKernel()
    use(k)
  })
  after(async () => {
    await k?.stop()
  })
}

/** The `Authorization` header of the kernel's operator token. */
export const bearer = (k: TestKernel) => ({ authorization: `Bearer ${k.token}` })

/**
 * An HTTP request over a real socket with the path sent byte for byte (inject and fetch normalise
 * `%2e%2e` and `..` away, which would hide exactly what a traversal test must send).
 */
export function rawHttp(
  k: TestKernel,
  o: { method?: string; path: string; headers?: Record<string, string | number>; body?: Buffer | string },
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const u = new URL(k.url!)
    import('node:http').then(({ request }) => {
      const req = request({ host: u.hostname, port: u.port, method: o.method ?? 'GET', path: o.path, headers: o.headers }, (res) => {
        readAnswer(res).then(({ status, body }) => resolve({ status, body }), reject)
      })
      req.on('error', reject)
      req.end(o.body)
    }, reject)
  })
}

/**
 * Where the chat plugin keeps a kind of state (`attachments`, `sessions`): its private folder under
 * `<state>/plugins/chat/` once the state moved out of the served workspace, else the old
 * `<workspace>/` location. Tests look where the files really are, so they hold either way.
 */
export function chatStateDir(k: TestKernel, kind: 'attachments' | 'sessions'): string {
  const candidates = [join(k.stateDir, 'plugins', 'chat', kind), join(k.stateDir, 'workspace', kind)]
  return candidates.find((d) => existsSync(d)) ?? candidates[0]
}

/** Creates (or names) a session over `/ws/chat?name=`, as the dashboard does, with `token`'s credential. */
export async function createSession(k: TestKernel, sid: string, token?: string): Promise<Frame> {
  const c = await openChat(k, { token, query: { session_id: sid, name: `session ${sid}` } })
  try {
    return await c.next('session_start')
  } finally {
    await c.close()
  }
}

export interface UpgradeAnswer {
  /** 101 when upgraded, else the refusal's status */
  status: number
  headers: Record<string, string | string[] | undefined>
  body: any
}

/** A `/ws/chat` upgrade attempt over a real socket, answered with the status and headers (the socket is closed at once). */
export function chatUpgrade(k: TestKernel, query: Record<string, string>, token = k.token!): Promise<UpgradeAnswer> {
  const u = new URL(k.url!)
  const qs = new URLSearchParams(query).toString()
  return new Promise((resolve, reject) => {
    import('node:http').then(({ request }) => {
      const req = request({
        host: u.hostname,
        port: u.port,
        path: `/ws/chat${qs ? `?${qs}` : ''}`,
        agent: false,
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': randomBytes(16).toString('base64'),
          'sec-websocket-protocol': 'revka.v1',
          authorization: `Bearer ${token}`,
        },
      })
      req.on('upgrade', (res, socket) => {
        socket.destroy()
        resolve({ status: res.statusCode!, headers: res.headers, body: null })
      })
      req.on('response', (res) => {
        readAnswer(res).then(resolve, reject)
      })
      req.on('error', reject)
      req.end()
    }, reject)
  })
}
