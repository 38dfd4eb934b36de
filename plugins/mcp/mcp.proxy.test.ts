import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bootMcp, connectClient, mintSession, readMcpJson } from './test-helpers.js'

test('an unmodified SDK client connects THROUGH the gateway with only its device token', async () => {
  const m = await bootMcp()
  try {
    const client = await connectClient(`${m.url}/api/mcp/stream`, m.auth)
    try {
      const names = (await client.listTools()).tools.map((t) => t.name)
      assert.ok(names.includes('fx_echo') && names.includes('fx_progress'), names.join(','))
      const r = await client.callTool({ name: 'fx_echo', arguments: { text: 'via gateway' } })
      assert.deepEqual(r.content, [{ type: 'text', text: 'echo: via gateway' }])
    } finally {
      await client.close()
    }

    // or as a session of its own, the MCP token in its own header beside the gateway bearer
    const s = await mintSession(m)
    const own = await connectClient(`${m.url}/api/mcp/stream`, { ...m.auth, 'x-revka-session': s.session_id, 'x-revka-mcp-token': s.token })
    try {
      assert.deepEqual((await own.callTool({ name: 'fx_echo', arguments: { text: 'mine' } })).content, [{ type: 'text', text: 'echo: mine' }])
    } finally {
      await own.close()
    }
    await assert.rejects(
      connectClient(`${m.url}/api/mcp/stream`, { ...m.auth, 'x-revka-session': s.session_id, 'x-revka-mcp-token': '0'.repeat(64) }),
      /401|Unauthorized/i,
    )
  } finally {
    await m.stop()
  }
})

test('every /api/mcp route needs the gateway bearer', async () => {
  const m = await bootMcp()
  try {
    const s = await mintSession(m)
    // the MCP session token alone is not a gateway credential
    await assert.rejects(connectClient(`${m.url}/api/mcp/stream`, { 'x-revka-session': s.session_id, 'x-revka-mcp-token': s.token }), /401|Unauthorized/i)
    for (const [method, path] of [
      ['GET', '/api/mcp/discovery'],
      ['GET', '/api/mcp/health'],
      ['POST', '/api/mcp/session'],
      ['POST', '/api/mcp/call'],
      ['POST', '/api/mcp/stream'],
      ['GET', '/api/mcp/stream'],
      ['DELETE', '/api/mcp/stream'],
      ['GET', `/api/mcp/session/${s.session_id}/events`],
      ['POST', '/api/mcp/servers/test'],
    ] as const) {
      const res = await fetch(`${m.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token}` },
        body: method === 'POST' ? '{}' : undefined,
      })
      assert.equal(res.status, 401, `${method} ${path}`)
      const body = (await res.json()) as any
      assert.equal(body.code, 'unauthorized', `${method} ${path}`)
      assert.equal(typeof body.error, 'string')
    }
  } finally {
    await m.stop()
  }
})

test('discovery, health and raw JSON-RPC calls through the proxy', async () => {
  const m = await bootMcp()
  try {
    const disc = await fetch(`${m.url}/api/mcp/discovery`, { headers: m.auth })
    assert.equal(disc.status, 200)
    const d = (await disc.json()) as any
    assert.equal(d.available, true)
    assert.equal(d.url, readMcpJson(m).url)
    assert.equal(d.health.status, 'ok')

    const health = await fetch(`${m.url}/api/mcp/health`, { headers: m.auth })
    assert.equal(health.status, 200)
    assert.equal(((await health.json()) as any).server, 'revka-mcp')

    const s = await mintSession(m)
    const call = (body: unknown, headers: Record<string, string>) =>
      fetch(`${m.url}/api/mcp/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      })
    const mcpHeaders = { ...m.auth, 'x-revka-session': s.session_id, 'x-revka-mcp-token': s.token }
    // tools/list answers plain JSON
    const list = await call({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }, mcpHeaders)
    assert.equal(list.status, 200)
    assert.match(list.headers.get('content-type') ?? '', /application\/json/)
    assert.ok(((await list.json()) as any).result.tools.some((t: any) => t.name === 'fx_echo'))

    // tools/call answers SSE: the result arrives as a data: frame
    const called = await call({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'fx_echo', arguments: { text: 'raw' } } }, mcpHeaders)
    assert.equal(called.status, 200)
    assert.match(called.headers.get('content-type') ?? '', /text\/event-stream/)
    const frames = (await called.text())
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)))
    assert.deepEqual(frames.at(-1).result.content, [{ type: 'text', text: 'echo: raw' }])

    // reference-style: the service token lets the request in, Authorization carries the MCP token
    const ref = await call(
      { jsonrpc: '2.0', id: 3, method: 'tools/list', params: {} },
      {
        'x-revka-service-token': m.k.serviceToken,
        authorization: `Bearer ${s.token}`,
        'x-revka-session': s.session_id,
      },
    )
    assert.equal(ref.status, 200)
    assert.ok(Array.isArray(((await ref.json()) as any).result.tools))

    const half = await call({ jsonrpc: '2.0', id: 4, method: 'tools/list' }, { ...m.auth, 'x-revka-session': s.session_id })
    assert.equal(half.status, 400)
    assert.equal(((await half.json()) as any).code, 'mcp_credentials_incomplete')

    const wrong = await call({ jsonrpc: '2.0', id: 5, method: 'tools/list' }, { ...m.auth, 'x-revka-session': s.session_id, 'x-revka-mcp-token': 'nope' })
    assert.equal(wrong.status, 401)
    assert.equal(((await wrong.json()) as any).code, 'unauthorized')
  } finally {
    await m.stop()
  }
})
