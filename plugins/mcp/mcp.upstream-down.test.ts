import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { startTestKernel } from '@revka/plugin-testing'
import { bootMcp, connectClient, upgradeStatus } from './test-helpers.js'

const DEAD_UPSTREAM = fileURLToPath(new URL('./test-fixtures/dead-upstream', import.meta.url))

function listen(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => resolve(s))
  })
}
const portOf = (s: Server) => (s.address() as { port: number }).port

test('an MCP server that cannot bind: the gateway keeps serving, /api/mcp/* answers 503 with the reason', async () => {
  const squatter = await listen()
  const m = await bootMcp({ options: { port: portOf(squatter) } })
  try {
    assert.equal(m.k.plugin('mcp')?.status, 'started', 'a bind failure degrades, it does not fail the plugin')
    assert.equal(existsSync(m.mcpJson), false, 'no mcp.json for a server that is not there')
    for (const [method, path] of [
      ['POST', '/api/mcp/session'],
      ['POST', '/api/mcp/call'],
      ['POST', '/api/mcp/stream'],
      ['GET', '/api/mcp/health'],
    ] as const) {
      const res = await fetch(`${m.url}${path}`, {
        method,
        headers: { ...m.auth, 'content-type': 'application/json' },
        body: method === 'POST' ? '{}' : undefined,
      })
      assert.equal(res.status, 503, `${method} ${path}`)
      assert.ok(Number(res.headers.get('retry-after')) > 0)
      const body = (await res.json()) as any
      assert.equal(body.code, 'mcp_unavailable')
      assert.equal(body.available, false)
      assert.match(body.reason, /not bound \(EADDRINUSE\)/)
      assert.match(body.error, /MCP server unavailable/)
    }
    const disc = await fetch(`${m.url}/api/mcp/discovery`, { headers: m.auth })
    assert.equal(disc.status, 200)
    assert.deepEqual(await disc.json(), { available: false, reason: 'mcp server not bound (EADDRINUSE)' })

    const sid = 'a'.repeat(32)
    assert.equal(await upgradeStatus(`${m.url.replace(/^http/, 'ws')}/ws/mcp/events?session_id=${sid}&mcp_token=x`, m.auth), 503)

    const health = await fetch(`${m.url}/health`)
    const h = (await health.json()) as any
    assert.equal(h.status, 'degraded')
    assert.equal(h.runtime.components.mcp.status, 'error')
  } finally {
    await m.stop()
    await new Promise((r) => squatter.close(r))
  }
})

test('an MCP server that stopped answering: the proxy answers 502 mcp_upstream_error, the WS gets daemon-unreachable', async () => {
  const gone = await listen()
  const port = portOf(gone)
  await new Promise((r) => gone.close(r))
  const k = await startTestKernel({
    plugins: ['status'],
    paths: [DEAD_UPSTREAM],
    listen: true,
    options: { 'mcp-fx-dead-upstream': { upstream_url: `http://127.0.0.1:${port}` } },
  })
  try {
    const url = k.url!.replace(/\/$/, '')
    const auth = { authorization: `Bearer ${k.token}` }
    for (const [method, path] of [
      ['GET', '/api/mcp/health'],
      ['POST', '/api/mcp/session'],
      ['POST', '/api/mcp/call'],
      ['POST', '/api/mcp/stream'],
    ] as const) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { ...auth, 'content-type': 'application/json' },
        body: method === 'POST' ? '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' : undefined,
      })
      assert.equal(res.status, 502, `${method} ${path}`)
      const body = (await res.json()) as any
      assert.equal(body.code, 'mcp_upstream_error')
      assert.match(body.error, /^mcp upstream error: ECONNREFUSED/)
    }
    await assert.rejects(connectClient(`${url}/api/mcp/stream`, auth), /502|mcp upstream error/)

    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws/mcp/events?session_id=abc&mcp_token=def`, ['revka.v1'], { headers: auth })
    const [frame, code] = await new Promise<[any, number]>((resolve) => {
      let msg: any
      ws.on('message', (d) => {
        msg = JSON.parse(String(d))
      })
      ws.on('close', (c) => resolve([msg, c]))
    })
    assert.equal(frame.error, 'daemon-unreachable')
    assert.match(frame.detail, /ECONNREFUSED/)
    assert.equal(code, 1011)
  } finally {
    await k.stop()
  }
})
