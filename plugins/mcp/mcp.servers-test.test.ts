import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bootMcp, mintSession, readMcpJson, STDIO_SERVER, type McpKernel } from './test-helpers.js'

async function probe(m: McpKernel, body: unknown): Promise<any> {
  const res = await fetch(`${m.url}/api/mcp/servers/test`, {
    method: 'POST',
    headers: { ...m.auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  assert.equal(res.status, 200, 'servers/test always answers 200')
  return res.json()
}

test("servers/test speaks to a stdio MCP server with the SDK client, passes env, and never the gateway's secrets", async () => {
  const m = await bootMcp()
  const before = process.env.REVKA_GATEWAY_ADMIN_TOKEN
  process.env.REVKA_GATEWAY_ADMIN_TOKEN = 'gateway-secret-must-not-leak'
  try {
    const r = await probe(m, { name: 'fx', transport: 'stdio', command: process.execPath, args: [STDIO_SERVER], env: { FX_GREETING: 'hola' } })
    assert.equal(r.ok, true, r.error)
    assert.equal(r.tool_count, 2)
    assert.deepEqual(r.tools, [
      { name: 'greet', description: 'Say hola' },
      { name: 'leak_check', description: 'clean' },
    ])
    assert.ok(Number.isInteger(r.latency_ms) && r.latency_ms >= 0)
    assert.equal(r.error, undefined)
  } finally {
    if (before === undefined) delete process.env.REVKA_GATEWAY_ADMIN_TOKEN
    else process.env.REVKA_GATEWAY_ADMIN_TOKEN = before
    await m.stop()
  }
})

test('servers/test over Streamable HTTP passes headers; failures are ok:false with a reason, still 200', async () => {
  const m = await bootMcp()
  try {
    const s = await mintSession(m)
    const url = readMcpJson(m).url
    const http = await probe(m, { name: 'self', transport: 'http', url, headers: { authorization: `Bearer ${s.token}`, 'x-revka-session': s.session_id } })
    assert.equal(http.ok, true, http.error)
    assert.ok(http.tools.some((t: any) => t.name === 'fx_echo'))
    assert.equal(http.tool_count, http.tools.length)

    const noAuth = await probe(m, { name: 'self', transport: 'http', url })
    assert.equal(noAuth.ok, false)
    assert.match(noAuth.error, /401|Unauthorized/i)

    const noCommand = await probe(m, { name: 'x', transport: 'stdio' })
    assert.deepEqual([noCommand.ok, noCommand.error], [false, 'stdio transport needs "command"'])
    const noUrl = await probe(m, { name: 'x', transport: 'sse' })
    assert.deepEqual([noUrl.ok, noUrl.error], [false, 'sse transport needs "url"'])
    const ftp = await probe(m, { name: 'x', transport: 'http', url: 'ftp://127.0.0.1/' })
    assert.equal(ftp.ok, false)

    const missing = await probe(m, { name: 'x', transport: 'stdio', command: '/nonexistent/revka-mcp-server' })
    assert.equal(missing.ok, false)
    assert.match(missing.error, /ENOENT/)

    const t0 = Date.now()
    const silent = await probe(m, { name: 'x', transport: 'stdio', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], timeout_ms: 300 })
    assert.equal(silent.ok, false)
    assert.match(silent.error, /no handshake within 300 ms|timed out/i)
    assert.ok(Date.now() - t0 < 3000, 'a silent server is killed at the deadline, not waited for')

    const bad = await fetch(`${m.url}/api/mcp/servers/test`, {
      method: 'POST',
      headers: { ...m.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', transport: 'carrier-pigeon' }),
    })
    assert.equal(bad.status, 400)
  } finally {
    await m.stop()
  }
})
