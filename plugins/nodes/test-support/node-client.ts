/**
 * Test support (not a test): a node speaking revka.nodes.v1 over a real socket. It records every
 * message, can wait for the next of a type, and can answer invocations automatically.
 */
import WebSocket from 'ws'
import { fileURLToPath } from 'node:url'
import type { TestKernel } from '@revka/plugin-sdk/testing'

export const TOOL_PROBE = fileURLToPath(new URL('../../../test/fixtures/tool-probe', import.meta.url))

export type Msg = Record<string, any> & { type: string }

export interface TestNode {
  ws: WebSocket
  msgs: Msg[]
  send(message: unknown): void
  next(type?: string, ms?: number): Promise<Msg>
  /** register and wait for the answer (registered or error) */
  register(nodeId: string, capabilities: unknown[]): Promise<Msg>
  /** answer every invoke from now on with what `fn` returns */
  answer(fn: (invoke: Msg) => { success: boolean; output: string; error?: string } | null): void
  /** resolves with the close code once the server closes the socket */
  closed: Promise<number>
  close(): Promise<void>
}

export interface NodeOptions {
  /** the credential; null for none */
  token?: string | null
  placement?: 'header' | 'subprotocol' | 'query'
  protocols?: string[]
}

/** Resolves once upgraded; rejects with `statusCode` when the upgrade is refused. */
export function connectNode(k: TestKernel, o: NodeOptions = {}): Promise<TestNode> {
  const token = o.token === undefined ? k.token : o.token
  const placement = o.placement ?? 'header'
  const query = token && placement === 'query' ? `?token=${encodeURIComponent(token)}` : ''
  const protocols = o.protocols ?? ['revka.nodes.v1', ...(token && placement === 'subprotocol' ? [`bearer.${token}`] : [])]
  const headers = token && placement === 'header' ? { authorization: `Bearer ${token}` } : undefined
  const ws = new WebSocket(`${k.url!.replace(/^http/, 'ws')}/ws/nodes${query}`, protocols, { headers })
  const msgs: Msg[] = []
  let read = 0
  const waiters = new Set<() => void>()
  let responder: ((m: Msg) => { success: boolean; output: string; error?: string } | null) | null = null
  ws.on('message', (d) => {
    const m = JSON.parse(String(d))
    msgs.push(m)
    if (m.type === 'invoke' && responder) {
      const r = responder(m)
      if (r) ws.send(JSON.stringify({ type: 'result', call_id: m.call_id, ...r }))
    }
    for (const w of [...waiters]) w()
  })
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)))
  const next = (type?: string, ms = 5000) => new Promise<Msg>((resolve, reject) => {
    const check = () => {
      while (read < msgs.length) {
        const m = msgs[read++]
        if (!type || m.type === type) { done(); resolve(m); return }
      }
    }
    const timer = setTimeout(() => { done(); reject(new Error(`no "${type ?? 'any'}" message within ${ms} ms; got ${JSON.stringify(msgs).slice(0, 500)}`)) }, ms)
    const done = () => { clearTimeout(timer); waiters.delete(check) }
    waiters.add(check)
    check()
  })
  const send = (m: unknown) => ws.send(typeof m === 'string' ? m : JSON.stringify(m))
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
      send,
      next,
      closed,
      async register(nodeId, capabilities) {
        send({ type: 'register', node_id: nodeId, capabilities })
        for (;;) {
          const m = await next()
          if (m.type === 'registered' || m.type === 'error') return m
        }
      },
      answer(fn) { responder = fn },
      close: () => new Promise<void>((res) => {
        if (ws.readyState === WebSocket.CLOSED) return res()
        ws.once('close', () => res())
        ws.close()
      }),
    }))
  })
}

export const echo = { name: 'echo', description: 'Echo the arguments back as JSON' }

/** poll until `cond` holds (server-side effects of a client's close are asynchronous) */
export async function waitFor(cond: () => Promise<boolean> | boolean, ms = 3000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
