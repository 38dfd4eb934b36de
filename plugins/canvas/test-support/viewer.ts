/**
 * Test support (not a test): a `/ws/canvas/:id` viewer over a real socket that records every JSON
 * frame and lets a test wait for the next one of a type.
 */
import { fileURLToPath } from 'node:url'
import { openJsonSocket, wsCredentials, type JsonFrame, type JsonSocket, type TestKernel } from '@revka/plugin-testing'

export const TOOL_PROBE = fileURLToPath(new URL('../../../test/fixtures/tool-probe', import.meta.url))

export type Msg = JsonFrame

export interface Viewer {
  ws: JsonSocket['ws']
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
export async function openViewer(k: TestKernel, canvasId: string, o: ViewerOptions = {}): Promise<Viewer> {
  const cred = wsCredentials(o.token === undefined ? k.token : o.token)
  const s = await openJsonSocket(`${k.url!.replace(/^http/, 'ws')}/ws/canvas/${canvasId}`, { protocols: o.protocols ?? ['revka.v1'], headers: cred.headers })
  return { ws: s.ws, msgs: s.frames, next: s.next, close: () => s.close('terminate') }
}

/** POST a render from loopback (no token needed there). */
export async function render(k: TestKernel, canvasId: string, content: string, contentType?: string) {
  const res = await k.inject({ method: 'POST', url: `/api/canvas/${canvasId}`, payload: { content, ...(contentType ? { content_type: contentType } : {}) } })
  if (res.statusCode !== 201) throw new Error(`render answered ${res.statusCode}: ${res.body}`)
  return res.json().frame
}
