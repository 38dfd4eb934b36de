/**
 * The reference dashboard's terminal (issue 21): it opens `/ws/terminal` and `/ws/mcp/events` with
 * no subprotocol and the token in the query. Contract §3: the server selects none and accepts; the
 * Origin and auth checks are unchanged (a wrong token is 401, a cross-site origin 403).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import { startTestKernel } from '@revka/plugin-testing'
import { wsConnect } from './support.js'
import { isolateHome } from '../../plugins/terminal/test-helpers.js'

// an empty HOME for the PTY shell and the MCP discovery file (the terminal tests' own helper)
const home = isolateHome()

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url) // no subprotocol at all, like the reference dashboard
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

test('/ws/terminal and /ws/mcp/events accept an upgrade with no subprotocol and the token in the query', async () => {
  const k = await startTestKernel({ plugins: ['terminal', 'mcp', 'status', 'pairing'], listen: true, options: { mcp: { home_dir: home } } })
  try {
    const ws = k.url!.replace(/^http/, 'ws')
    const term = await open(`${ws}/ws/terminal?token=${k.token}`)
    assert.equal(term.protocol, '', 'no subprotocol selected')
    let out = ''
    term.on('message', (d) => {
      out += String(d)
    })
    term.send('echo ref-$((20+1))\r')
    for (let i = 0; i < 100 && !/ref-21/.test(out); i++) await new Promise((r) => setTimeout(r, 50))
    assert.match(out, /ref-21/)
    term.close()

    const minted = await fetch(`${k.url}/api/mcp/session`, {
      method: 'POST',
      headers: { authorization: `Bearer ${k.token}`, 'content-type': 'application/json' },
      body: '{}',
    })
    const s = (await minted.json()) as any
    const events = await open(`${ws}/ws/mcp/events?token=${k.token}&session_id=${s.session_id}&mcp_token=${s.token}`)
    assert.equal(events.protocol, '')
    events.close()

    // auth and origin unchanged
    for (const path of ['/ws/terminal', `/ws/mcp/events?session_id=${s.session_id}&mcp_token=${s.token}`]) {
      const sep = path.includes('?') ? '&' : '?'
      const bad = await wsConnect(`${ws}${path}${sep}token=wrong`)
      assert.equal(bad.kind === 'refused' && bad.status, 401, path)
      const cross = await wsConnect(`${ws}${path}${sep}token=${k.token}`, { origin: 'https://evil.example' })
      assert.equal(cross.kind === 'refused' && cross.status, 403, path)
      const unknown = await wsConnect(`${ws}${path}${sep}token=${k.token}`, { protocols: ['revka.v9'] })
      assert.equal(unknown.kind === 'refused' && unknown.status, 400, path)
    }
  } finally {
    await k.stop()
  }
})
