/**
 * Test support (not a test): a `/ws/canvas/:id` viewer over a real socket that records every JSON
 * frame and lets a test wait for the next one of a type.
 */
import WebSocket from 'ws'
import { fileURLToPath } from 'node:url'
import type { TestKernel } from '@revka/plugin-sdk/testing'

export const TOOL_PROBE = fileURLToPath(new URL('../../../test/fixtures/tool-probe', import.meta.url))

export type Msg = Record<string, any> & { type: string }

export interface Viewer {
  ws: WebSocket
  /** every message received so far, in order */
  msgs: Msg[]
  /** the next unread message (of `type`, skipping others), failing after `ms` */
  next(type?: string, ms?: number): Promise<Msg>
  close(): Promise<void>
}

export interface ViewerOptions {
  token?: string | null
  protocols?: string[]
}

/** Resolves once upgraded; rejects with `statusCode` when the upgrade is refused. */
export function openViewer(k: TestKernel, canvasId: string, o: ViewerOptions = {}): Promise<Viewer> {
  const token = o.token === undefined ? k.token : o.token
  const headers = token ? { authorization: `Bearer ${token}` } : undefined
  const ws = new WebSocket(`${k.url!.replace(/^http/, 'ws')}/ws/canvas/${canvasId}`, o.protocols ?? ['revka.v1'], { headers })
  const msgs: Msg[] = []
  let read = 0
  const waiters = new Set<() => void>()
  ws.on('message', (d) => {
    msgs.push(JSON.parse(String(d)))
    for (const w of [...waiters]) w()
  })
  const next = (type?: string, ms = 5000) => new Promise<Msg>((resolve, reject) => {
    const check = () => {
      while (read < msgs.length) {
        const m = msgs[read++]
        if (!type || m.type === type) { done(); resolve(m); return }
      }
    }
    const timer = setTimeout(() => { done(); reject(new Error(`no "${type ?? 'any'}" message within ${ms} ms; got ${JSON.stringify(msgs.map((m) => m.type))}`)) }, ms)
    const done = () => { clearTimeout(timer); waiters.delete(check) }
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
      msgs,
      next,
      close: () => new Promise<void>((res) => {
        if (ws.readyState === WebSocket.CLOSED) return res()
        ws.once('close', () => res())
        ws.terminate()
      }),
    }))
  })
}

/** POST a render from loopback (no token needed there). */
export async function render(k: TestKernel, canvasId: string, content: string, contentType?: string) {
  const res = await k.inject({ method: 'POST', url: `/api/canvas/${canvasId}`, payload: { content, ...(contentType ? { content_type: contentType } : {}) } })
  if (res.statusCode !== 201) throw new Error(`render answered ${res.statusCode}: ${res.body}`)
  return res.json().frame
}
