/**
 * Test support (not a test): a node speaking revka.nodes.v1 over a real socket. It records every
 * message, can wait for the next of a type, and can answer invocations automatically.
 */
import { fileURLToPath } from 'node:url'
import { openJsonSocket, wsCredentials, type JsonFrame, type JsonSocket, type TestKernel } from '@revka/plugin-testing'

export const TOOL_PROBE = fileURLToPath(new URL('../../../test/fixtures/tool-probe', import.meta.url))

export type Msg = JsonFrame
type Answer = { success: boolean; output: string; error?: string }

export interface TestNode {
  ws: JsonSocket['ws']
  msgs: Msg[]
  send(message: unknown): void
  next(type?: string, ms?: number): Promise<Msg>
  /** register and wait for the answer (registered or error) */
  register(nodeId: string, capabilities: unknown[]): Promise<Msg>
  /** answer every invoke from now on with what `fn` returns */
  answer(fn: (invoke: Msg) => Answer | null): void
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
export async function connectNode(k: TestKernel, o: NodeOptions = {}): Promise<TestNode> {
  const cred = wsCredentials(o.token === undefined ? k.token : o.token, o.placement ?? 'header')
  let responder: ((m: Msg) => Answer | null) | null = null
  const s = await openJsonSocket(`${k.url!.replace(/^http/, 'ws')}/ws/nodes${cred.query ? `?${cred.query}` : ''}`, {
    protocols: o.protocols ?? ['revka.nodes.v1', ...cred.protocols],
    headers: cred.headers,
    onFrame(m, send) {
      if (m.type !== 'invoke' || !responder) return
      const r = responder(m)
      if (r) send({ type: 'result', call_id: m.call_id, ...r })
    },
  })
  return {
    ws: s.ws,
    msgs: s.frames,
    send: s.send,
    next: s.next,
    closed: s.closed.then((c) => c.code),
    async register(nodeId, capabilities) {
      s.send({ type: 'register', node_id: nodeId, capabilities })
      for (;;) {
        const m = await s.next()
        if (m.type === 'registered' || m.type === 'error') return m
      }
    },
    answer(fn) {
      responder = fn
    },
    close: () => s.close(),
  }
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
