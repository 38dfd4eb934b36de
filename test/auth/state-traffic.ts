/**
 * Test support (not a test) for the state-layout and file-mode tests: traffic over real sockets
 * that makes a gateway write each kind of state it keeps — a paired device (devices.db), a chat
 * turn (sessions.db), an attachment, a cost record — and a walk of what ended up on disk.
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { openJsonSocket, wsCredentials } from '@revka/plugin-testing'
import { bearer, ROOT } from './support.js'

export const SCRIPTED_RUNTIME = join(ROOT, 'plugins', 'chat', 'test-fixtures', 'scripted-runtime')

/** every file (not folder) under `dir`, recursively */
export function filesUnder(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else out.push(p)
    }
  }
  if (existsSync(dir)) walk(dir)
  return out
}

/** mint a code on the loopback admin route and pair with it over HTTP; the new token */
export async function pairOverHttp(url: string): Promise<string> {
  const code = ((await (await fetch(`${url}/admin/paircode/new`, { method: 'POST' })).json()) as any).pairing_code
  const res = await fetch(`${url}/pair`, { method: 'POST', headers: { 'x-pairing-code': code } })
  assert.equal(res.status, 200)
  return ((await res.json()) as any).token
}

/**
 * Pair, chat once in session `sid`, upload an attachment there and record a cost with the
 * service token: one of each thing the gateway keeps. Returns the token and the file id.
 */
export async function makeState(
  url: string,
  serviceToken: string,
  o: { sid: string; message: string; attachment: string; model: string; cost: number },
): Promise<{ token: string; fileId: string }> {
  const token = await pairOverHttp(url)
  const cred = wsCredentials(token, 'header')
  const ws = await openJsonSocket(`${url.replace(/^http/, 'ws')}/ws/chat?session_id=${o.sid}`, {
    protocols: ['revka.v1', ...cred.protocols],
    headers: cred.headers,
  })
  try {
    await ws.next('session_start')
    ws.send({ type: 'message', content: o.message })
    await ws.next('done')
  } finally {
    await ws.close()
  }
  const form = new FormData()
  form.append('file', new Blob([o.attachment]), 'note.txt')
  const up = await fetch(`${url}/api/sessions/${o.sid}/attachments`, { method: 'POST', headers: bearer(token), body: form })
  assert.equal(up.status, 201, await up.clone().text())
  const fileId: string = ((await up.json()) as any).file_id
  const cost = await fetch(`${url}/api/cost/usage`, {
    method: 'POST',
    headers: { 'x-revka-service-token': serviceToken, 'content-type': 'application/json' },
    body: JSON.stringify({ model: o.model, cost_usd: o.cost }),
  })
  assert.equal(cost.status, 200)
  return { token, fileId }
}
