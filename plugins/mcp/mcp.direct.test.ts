import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, statSync } from 'node:fs'
import { get } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestKernel } from '@revka/plugin-testing'
import { bootMcp, connectClient, mintSession, readMcpJson } from './test-helpers.js'

test('mcp.json names the in-process server, and the unmodified SDK client lists and calls its tools', async () => {
  const m = await bootMcp()
  try {
    const info = readMcpJson(m)
    assert.deepEqual(Object.keys(info).sort(), ['pid', 'started_at', 'url'])
    assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/)
    assert.equal(info.pid, process.pid)
    assert.ok(Math.abs(Date.parse(info.started_at) - Date.now()) < 60_000)
    assert.equal(statSync(m.mcpJson).mode & 0o077, 0, 'mcp.json is private to the user')

    const s = await mintSession(m)
    assert.match(s.session_id, /^[0-9a-f]{32}$/)
    assert.match(s.token, /^[0-9a-f]{64}$/)
    const client = await connectClient(info.url, { authorization: `Bearer ${s.token}`, 'x-revka-session': s.session_id })
    try {
      const { tools } = await client.listTools()
      const echo = tools.find((t) => t.name === 'fx_echo')
      assert.ok(echo, `fx_echo listed among ${tools.map((t) => t.name).join(', ')}`)
      assert.equal(echo.description, 'Echo the text back.')
      assert.deepEqual(
        echo.inputSchema,
        {
          type: 'object',
          properties: { text: { type: 'string', description: 'what to echo' } },
          required: ['text'],
          additionalProperties: false,
        },
        'JSON Schema parameters pass through unchanged',
      )

      const r = await client.callTool({ name: 'fx_echo', arguments: { text: 'hi' } })
      assert.deepEqual(r.content, [{ type: 'text', text: 'echo: hi' }])
      assert.equal(r.isError, false)

      const failed = await client.callTool({ name: 'fx_fail', arguments: {} })
      assert.equal(failed.isError, true)
      assert.deepEqual(failed.content, [{ type: 'text', text: 'fx_fail refused' }])

      await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }), /Unknown tool: no_such_tool/)
    } finally {
      await client.close()
    }
  } finally {
    await m.stop()
  }
  assert.equal(existsSync(m.mcpJson), false, 'mcp.json is removed at stop')
})

test('tools are listed at request time: a capability that connects later is listed and callable', async () => {
  const m = await bootMcp()
  try {
    const s = await mintSession(m)
    const client = await connectClient(readMcpJson(m).url, { authorization: `Bearer ${s.token}`, 'x-revka-session': s.session_id })
    try {
      assert.equal(
        (await client.listTools()).tools.some((t) => t.name === 'node:fx:ping'),
        false,
      )
      const toggled = await m.k.inject({ method: 'POST', url: '/fx/mcp/dynamic' })
      assert.equal(toggled.json().connected, true)
      assert.equal(
        (await client.listTools()).tools.some((t) => t.name === 'node:fx:ping'),
        true,
      )
      assert.deepEqual((await client.callTool({ name: 'node:fx:ping', arguments: {} })).content, [{ type: 'text', text: 'pong' }])
      await m.k.inject({ method: 'POST', url: '/fx/mcp/dynamic' })
      assert.equal(
        (await client.listTools()).tools.some((t) => t.name === 'node:fx:ping'),
        false,
      )
    } finally {
      await client.close()
    }
  } finally {
    await m.stop()
  }
})

test("the in-process server refuses session minting without the gateway's secret, and MCP without a session token", async () => {
  const m = await bootMcp()
  try {
    const { url } = readMcpJson(m)
    const base = url.replace(/\/mcp$/, '')
    const health = await fetch(`${base}/health`)
    assert.equal(health.status, 200)
    assert.equal(((await health.json()) as any).status, 'ok')
    const gw = (await (await fetch(`${m.url}/health`)).json()) as any
    assert.equal(gw.runtime.components.mcp.status, 'ok', "the gateway's /health shows the MCP server")

    const mint = await fetch(`${base}/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    assert.equal(mint.status, 401)
    assert.equal(((await mint.json()) as any).code, 'unauthorized')

    await assert.rejects(connectClient(url, {}), /401|Unauthorized/i)
    const s = await mintSession(m)
    await assert.rejects(connectClient(url, { authorization: `Bearer ${s.token}`, 'x-revka-session': 'f'.repeat(32) }), /401|Unauthorized/i)
    await assert.rejects(connectClient(url, { authorization: `Bearer ${'0'.repeat(64)}`, 'x-revka-session': s.session_id }), /401|Unauthorized/i)

    // a DNS-rebound name reaching the loopback port is not a loopback host
    // (fetch will not send a custom Host, so a raw request)
    const rebound = await new Promise<number>((resolve, reject) => {
      get(`${base}/health`, { headers: { host: 'evil.example' } }, (res) => {
        res.resume()
        resolve(res.statusCode!)
      }).once('error', reject)
    })
    assert.equal(rebound, 403)

    const cwd = await fetch(`${m.url}/api/mcp/session`, {
      method: 'POST',
      headers: { ...m.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ cwd: '/definitely/not/here' }),
    })
    assert.equal(cwd.status, 400)
    assert.equal(((await cwd.json()) as any).code, 'invalid_cwd')
  } finally {
    await m.stop()
  }
})

test("REVKA_MCP_HOME in the gateway's environment moves mcp.json", async () => {
  const home = mkdtempSync(join(tmpdir(), 'revka-mcp-envhome-'))
  const k = await startTestKernel({ plugins: ['mcp'], env: { REVKA_MCP_HOME: home } })
  try {
    assert.equal(k.plugin('mcp')?.status, 'started')
    assert.ok(existsSync(join(home, '.revka', 'mcp.json')))
  } finally {
    await k.stop()
    rmSync(home, { recursive: true, force: true })
  }
})
