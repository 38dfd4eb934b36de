/**
 * Issue 10 item 10 — per-credential caps. One token used to open 2,000 `/ws/chat` sockets and 2,000
 * SSE streams, and the global caps are shared by everyone. Here one token opens cap + 1 of each
 * kind over real sockets: the last is refused (429, contract error shape, before the upgrade),
 * while a second token still connects; closing one of the first token's connections frees a slot.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import { DEFAULT_SOCKETS_PER_CREDENTIAL, DEFAULT_STREAMS_PER_CREDENTIAL } from '@revka/plugin-sdk'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { SCRIPTED_RUNTIME } from '../../plugins/chat/test-support/chat-client.js'
import { bootMcp, mintSession } from '../../plugins/mcp/test-helpers.js'
import { bearer, sseOpen, wsUrl, type SseOutcome } from './support.js'

let k: TestKernel
let alice: string
let bob: string
before(async () => {
  k = await startTestKernel({ plugins: ['chat', 'events', 'canvas', 'nodes', 'pairing'], paths: [SCRIPTED_RUNTIME], listen: true })
  alice = k.pairDevice('alice').token
  bob = k.pairDevice('bob').token
})
after(async () => {
  await k.stop()
})

type Opened = { kind: 'open'; ws: WebSocket } | { kind: 'refused'; status: number; body: string; retryAfter?: string }

/** Resolves once the socket is open (101), or with the status and body of a refused upgrade. */
function upgrade(path: string, token: string, protocol: string, base = k.url!): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(base, path), [protocol], { headers: bearer(token), handshakeTimeout: 5000 })
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c) => {
        body += c
      })
      res.on('end', () => resolve({ kind: 'refused', status: res.statusCode!, body, retryAfter: res.headers['retry-after'] as string | undefined }))
    })
    ws.once('open', () => resolve({ kind: 'open', ws }))
    ws.once('error', reject)
  })
}

function closeAll(list: WebSocket[]): Promise<void> {
  return Promise.all(
    list.map(
      (ws) =>
        new Promise<void>((r) => {
          if (ws.readyState === WebSocket.CLOSED) return r()
          ws.once('close', () => r())
          ws.terminate()
        }),
    ),
  ).then(() => {})
}

function assertQuotaRefusal(body: string, retryAfter: unknown): void {
  const doc = JSON.parse(body)
  assert.equal(doc.code, 'too_many_connections')
  assert.equal(typeof doc.error, 'string')
  assert.ok(doc.retry_after > 0, 'retry_after in the body')
  assert.equal(String(retryAfter), String(doc.retry_after), 'and as the Retry-After header')
}

const routes: Array<{ path: string; protocol: string }> = [
  { path: '/ws/chat', protocol: 'revka.v1' },
  { path: '/ws/canvas/quota', protocol: 'revka.v1' },
  { path: '/ws/nodes', protocol: 'revka.nodes.v1' },
]

for (const { path, protocol } of routes) {
  test(`${path}: one token's socket ${DEFAULT_SOCKETS_PER_CREDENTIAL + 1} is refused with 429 before the upgrade; another token still connects`, async () => {
    const mine: WebSocket[] = []
    try {
      for (let i = 0; i < DEFAULT_SOCKETS_PER_CREDENTIAL; i++) {
        const r = await upgrade(path, alice, protocol)
        assert.equal(r.kind, 'open', `socket ${i + 1} of ${DEFAULT_SOCKETS_PER_CREDENTIAL}: ${r.kind === 'refused' ? `${r.status} ${r.body}` : ''}`)
        mine.push((r as { ws: WebSocket }).ws)
      }
      const over = await upgrade(path, alice, protocol)
      if (over.kind === 'open') mine.push(over.ws)
      assert.equal(over.kind, 'refused', `socket ${DEFAULT_SOCKETS_PER_CREDENTIAL + 1} of one token was accepted`)
      const refused = over as Extract<Opened, { kind: 'refused' }>
      assert.equal(refused.status, 429)
      assertQuotaRefusal(refused.body, refused.retryAfter)

      const other = await upgrade(path, bob, protocol)
      assert.equal(other.kind, 'open', 'a second token is not locked out')
      mine.push((other as { ws: WebSocket }).ws)

      // closing one of the first token's sockets gives its slot back
      await closeAll([mine.shift()!])
      let again: Opened | undefined
      for (let i = 0; i < 50 && again?.kind !== 'open'; i++) {
        again = await upgrade(path, alice, protocol)
        if (again.kind !== 'open') await new Promise((r) => setTimeout(r, 20))
      }
      assert.equal(again?.kind, 'open', 'a freed slot is usable again')
      mine.push((again as { ws: WebSocket }).ws)
    } finally {
      await closeAll(mine)
    }
  })
}

test(`SSE: one token's stream ${DEFAULT_STREAMS_PER_CREDENTIAL + 1} (events and logs together) is refused with 429; another token still streams`, async () => {
  const mine: SseOutcome[] = []
  try {
    for (let i = 0; i < DEFAULT_STREAMS_PER_CREDENTIAL; i++) {
      const path = i % 2 ? '/api/daemon/logs' : '/api/events'
      const s = await sseOpen(`${k.url}${path}?token=${alice}`)
      mine.push(s)
      assert.equal(s.status, 200, `stream ${i + 1}: ${s.first}`)
    }
    const over = await sseOpen(`${k.url}/api/events?token=${alice}`)
    mine.push(over)
    assert.equal(over.status, 429, `stream ${DEFAULT_STREAMS_PER_CREDENTIAL + 1} of one token was accepted`)
    assertQuotaRefusal(await over.ended, over.headers['retry-after'])

    const other = await sseOpen(`${k.url}/api/events`, bearer(bob))
    mine.push(other)
    assert.equal(other.status, 200, 'a second token is not locked out')
  } finally {
    for (const s of mine) s.close()
  }
})

test(`/ws/mcp/events: one token's socket ${DEFAULT_SOCKETS_PER_CREDENTIAL + 1} is refused with 429; another token still connects`, async () => {
  const m = await bootMcp()
  const mine: WebSocket[] = []
  try {
    const s = await mintSession(m)
    const other = m.k.pairDevice('bob').token
    const path = `/ws/mcp/events?session_id=${s.session_id}&mcp_token=${s.token}`
    const open = (token: string) => upgrade(path, token, 'revka.v1', m.url)
    for (let i = 0; i < DEFAULT_SOCKETS_PER_CREDENTIAL; i++) {
      const r = await open(m.k.token!)
      assert.equal(r.kind, 'open', `socket ${i + 1}`)
      mine.push((r as { ws: WebSocket }).ws)
    }
    const over = await open(m.k.token!)
    if (over.kind === 'open') mine.push(over.ws)
    assert.equal(over.kind, 'refused', `socket ${DEFAULT_SOCKETS_PER_CREDENTIAL + 1} of one token was accepted`)
    const refused = over as Extract<Opened, { kind: 'refused' }>
    assert.equal(refused.status, 429)
    assertQuotaRefusal(refused.body, refused.retryAfter)
    const theirs = await open(other)
    assert.equal(theirs.kind, 'open', 'a second token is not locked out')
    mine.push((theirs as { ws: WebSocket }).ws)
  } finally {
    await closeAll(mine)
    await m.stop()
  }
})

test(`40 concurrent upgrades from one token: exactly ${DEFAULT_SOCKETS_PER_CREDENTIAL} open, the rest get 429`, async () => {
  const results = await Promise.all(Array.from({ length: 40 }, () => upgrade('/ws/chat', alice, 'revka.v1')))
  const opened = results.filter((r) => r.kind === 'open') as Array<{ ws: WebSocket }>
  try {
    assert.equal(opened.length, DEFAULT_SOCKETS_PER_CREDENTIAL, 'admission reserves a slot before the socket opens')
    assert.deepEqual([...new Set(results.filter((r) => r.kind === 'refused').map((r) => (r as { status: number }).status))], [429])
  } finally {
    await closeAll(opened.map((o) => o.ws))
  }
})
