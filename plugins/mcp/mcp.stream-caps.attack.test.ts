/**
 * Per-credential caps on the MCP proxy's long-lived connections (issue 10 item 10, review
 * follow-up). `/api/mcp/stream` (a tools/call answers SSE until its result) and
 * `/api/mcp/session/:id/events` had no cap at all: one token could hold as many streams as it
 * liked, each a gateway socket plus one to the in-process server. They now share one group,
 * `max_streams_per_credential` (16) per credential and `max_streams` (1024) overall, refused with
 * 429 / 503 before anything is forwarded. `/ws/mcp/events`'s cap is the option
 * `max_sockets_per_credential` (32). The default is attacked once, small configured caps after;
 * real sockets throughout.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { DEFAULT_STREAMS_PER_CREDENTIAL } from '@revka/plugin-sdk'
import { bootMcp, mintSession, upgradeStatus, type McpKernel } from './test-helpers.js'

const HOLD_TOOL = fileURLToPath(new URL('./test-fixtures/hold-tool', import.meta.url))
const CAP = 3

interface Open {
  status: number
  headers: http.IncomingHttpHeaders
  body: Promise<string>
  close(): void
}

/** an HTTP request left open: resolves at the response head (a stream's first bytes) */
function openRequest(url: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Open> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: o.method ?? 'GET', headers: o.headers }, (res) => {
      res.setEncoding('utf8')
      let text = ''
      const body = new Promise<string>((done) => {
        res.on('data', (c: string) => {
          text += c
        })
        res.once('end', () => done(text))
        res.once('close', () => done(text))
      })
      resolve({ status: res.statusCode!, headers: res.headers, body, close: () => req.destroy() })
    })
    req.once('error', reject)
    req.end(o.body)
  })
}

const holdCall = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'fx_hold', arguments: {} } })
const echoCall = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'fx_echo', arguments: { text: 'hi' } } })
const rpcHeaders = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' })

function assertRefusal(r: Open, body: string, status: number): void {
  assert.equal(r.status, status)
  const doc = JSON.parse(body)
  assert.equal(doc.code, 'too_many_connections')
  assert.equal(typeof doc.error, 'string')
  assert.ok(doc.retry_after > 0)
  assert.equal(String(r.headers['retry-after']), String(doc.retry_after))
}

async function holds(m: McpKernel): Promise<{ started: number; waiting: number }> {
  return (await fetch(`${m.url}/fx/mcp/holds`)).json() as any
}

async function boot(options: Record<string, unknown>): Promise<McpKernel> {
  return bootMcp({ options, paths: [HOLD_TOOL] })
}

const DEFAULT = DEFAULT_STREAMS_PER_CREDENTIAL

test(`/api/mcp/session/:id/events: one token's stream ${DEFAULT + 1} (the default max_streams_per_credential) is 429 before the stream starts; another token still streams`, async () => {
  const m = await boot({})
  const open: Open[] = []
  try {
    const s = await mintSession(m)
    const bob = m.k.pairDevice('bob').token
    const events = (token: string) =>
      openRequest(`${m.url}/api/mcp/session/${s.session_id}/events`, { headers: { authorization: `Bearer ${token}`, 'x-revka-mcp-token': s.token } })
    for (let i = 0; i < DEFAULT; i++) {
      const r = await events(m.k.token!)
      open.push(r)
      assert.equal(r.status, 200, `stream ${i + 1}`)
    }
    const over = await events(m.k.token!)
    open.push(over)
    assert.equal(over.status, 429, `stream ${DEFAULT + 1} of one token was accepted (status ${over.status})`)
    assertRefusal(over, await over.body, 429)
    const theirs = await events(bob)
    open.push(theirs)
    assert.equal(theirs.status, 200, 'a second token is not locked out')
  } finally {
    for (const r of open) r.close()
    await m.stop()
  }
})

test(`/api/mcp/stream: tools/calls streaming their answer hold slots; call ${CAP + 1} of one token is 429 and never reaches the tool; another token still calls; a finished call frees its slot`, async () => {
  const m = await boot({ max_streams_per_credential: CAP })
  const open: Open[] = []
  try {
    const bob = m.k.pairDevice('bob').token
    const call = (token: string, body = holdCall) => openRequest(`${m.url}/api/mcp/stream`, { method: 'POST', headers: rpcHeaders(token), body })
    for (let i = 0; i < CAP; i++) {
      const r = await call(m.k.token!)
      open.push(r)
      assert.equal(r.status, 200, `call ${i + 1}`)
      assert.match(String(r.headers['content-type']), /text\/event-stream/)
    }
    for (let i = 0; i < 50 && (await holds(m)).waiting < CAP; i++) await new Promise((r) => setTimeout(r, 10))
    assert.equal((await holds(m)).waiting, CAP, 'the held calls reached the tool')

    const over = await call(m.k.token!)
    open.push(over)
    assert.equal(over.status, 429, `call ${CAP + 1} of one token was accepted (status ${over.status})`)
    assertRefusal(over, await over.body, 429)
    assert.equal((await holds(m)).started, CAP, 'the refused call never ran')

    const theirs = await call(bob, echoCall)
    assert.equal(theirs.status, 200, 'a second token is not locked out')
    assert.match(await theirs.body, /echo: hi/)

    // the held calls finish: their streams end and give the slots back
    await fetch(`${m.url}/fx/mcp/release`, { method: 'POST' })
    for (const r of open.slice(0, CAP)) assert.match(await r.body, /released/)
    let again: Open | undefined
    for (let i = 0; i < 50 && again?.status !== 200; i++) {
      if (again) await new Promise((r) => setTimeout(r, 10))
      again = await call(m.k.token!, echoCall)
      await again.body
    }
    assert.equal(again?.status, 200, 'a freed slot is usable again')
  } finally {
    for (const r of open) r.close()
    await m.stop()
  }
})

test('max_streams over all credentials: the next stream is 503 too_many_connections whoever asks', async () => {
  const m = await boot({ max_streams: 2 })
  const open: Open[] = []
  try {
    const s = await mintSession(m)
    const tokens = ['a', 'b', 'c'].map((n) => m.k.pairDevice(n).token)
    const events = (token: string) =>
      openRequest(`${m.url}/api/mcp/session/${s.session_id}/events`, { headers: { authorization: `Bearer ${token}`, 'x-revka-mcp-token': s.token } })
    for (const t of tokens.slice(0, 2)) {
      const r = await events(t)
      open.push(r)
      assert.equal(r.status, 200)
    }
    const over = await events(tokens[2])
    open.push(over)
    assert.equal(over.status, 503, `a stream past max_streams was accepted (status ${over.status})`)
    assertRefusal(over, await over.body, 503)
  } finally {
    for (const r of open) r.close()
    await m.stop()
  }
})

test(`/ws/mcp/events: max_sockets_per_credential ${CAP} — one token's socket ${CAP + 1} is 429 before the upgrade`, async () => {
  const m = await boot({ max_sockets_per_credential: CAP })
  const mine: WebSocket[] = []
  try {
    const s = await mintSession(m)
    const url = `${m.url.replace(/^http/, 'ws')}/ws/mcp/events?session_id=${s.session_id}&mcp_token=${s.token}`
    for (let i = 0; i < CAP; i++) {
      const ws = new WebSocket(url, ['revka.v1'], { headers: m.auth })
      mine.push(ws)
      await new Promise((ok, fail) => {
        ws.once('open', ok)
        ws.once('error', fail)
      })
    }
    assert.equal(await upgradeStatus(url, m.auth), 429)
    assert.equal(await upgradeStatus(url, { authorization: `Bearer ${m.k.pairDevice('bob').token}` }).catch(() => 101), 101, 'a second token is not locked out')
  } finally {
    for (const ws of mine) ws.terminate()
    await m.stop()
  }
})
