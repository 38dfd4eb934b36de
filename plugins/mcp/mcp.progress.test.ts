import { test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import { bootMcp, connectClient, mintSession, readMcpJson, upgradeStatus, type McpKernel } from './test-helpers.js'

type Progress = { progress: number; total?: number; message?: string }

async function callWithProgress(url: string, headers: Record<string, string>): Promise<{ seen: Progress[]; text: string }> {
  const client = await connectClient(url, headers)
  try {
    const seen: Progress[] = []
    const r = await client.callTool({ name: 'fx_progress', arguments: { steps: 3 } }, undefined, { onprogress: (p) => seen.push(p) })
    return { seen, text: (r.content as any)[0].text }
  } finally {
    await client.close()
  }
}

const EXPECTED: Progress[] = [1, 2, 3].map((i) => ({ progress: i, total: 3, message: `step ${i} of 3` }))

test("a tool's ctx.progress reaches the SDK client as notifications/progress, directly and through the gateway", async () => {
  const m = await bootMcp()
  try {
    const s = await mintSession(m)
    const direct = await callWithProgress(readMcpJson(m).url, { authorization: `Bearer ${s.token}`, 'x-revka-session': s.session_id })
    assert.equal(direct.text, 'done after 3 steps')
    assert.deepEqual(direct.seen, EXPECTED)

    const proxied = await callWithProgress(`${m.url}/api/mcp/stream`, m.auth)
    assert.equal(proxied.text, 'done after 3 steps')
    assert.deepEqual(proxied.seen, EXPECTED)
  } finally {
    await m.stop()
  }
})

/** read SSE data frames from a fetch body until `n` arrived */
async function sseFrames(res: Response, n: number): Promise<any[]> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buf = ''
  const out: any[] = []
  while (out.length < n) {
    const { value, done } = await reader.read()
    if (done) break
    buf += value
    let i: number
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i)
      buf = buf.slice(i + 2)
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n')
      if (data) out.push(JSON.parse(data))
    }
  }
  await reader.cancel()
  return out
}

async function runSessionCall(m: McpKernel, s: { session_id: string; token: string }) {
  return callWithProgress(`${m.url}/api/mcp/stream`, { ...m.auth, 'x-revka-session': s.session_id, 'x-revka-mcp-token': s.token })
}

test("GET /api/mcp/session/:id/events streams the session's progress frames", async () => {
  const m = await bootMcp()
  try {
    const s = await mintSession(m)
    const refused = await fetch(`${m.url}/api/mcp/session/${s.session_id}/events`, { headers: { ...m.auth, 'x-revka-mcp-token': 'wrong' } })
    assert.equal(refused.status, 401)
    await refused.body?.cancel()

    const ac = new AbortController()
    const events = await fetch(`${m.url}/api/mcp/session/${s.session_id}/events`, { headers: { ...m.auth, 'x-revka-mcp-token': s.token }, signal: ac.signal })
    assert.equal(events.status, 200)
    assert.match(events.headers.get('content-type') ?? '', /text\/event-stream/)
    const framesP = sseFrames(events, 3)
    await runSessionCall(m, s)
    const frames = await framesP
    ac.abort()
    assert.deepEqual(
      frames.map((f) => Object.keys(f).sort()),
      Array(3).fill(['message', 'progress', 'timestamp', 'token', 'tool', 'total']),
    )
    assert.deepEqual(
      frames.map(({ progress, total, message, tool }) => ({ progress, total, message, tool })),
      EXPECTED.map((e) => ({ ...e, tool: 'fx_progress' })),
    )
    assert.ok(
      frames.every((f) => f.token !== null),
      "the client's progressToken is carried",
    )
  } finally {
    await m.stop()
  }
})

test('/ws/mcp/events: 400 before the upgrade without session_id/mcp_token, frames as text, daemon-unreachable on a bad token', async () => {
  const m = await bootMcp()
  try {
    const s = await mintSession(m)
    const wsBase = m.url.replace(/^http/, 'ws') + '/ws/mcp/events'
    assert.equal(await upgradeStatus(`${wsBase}?session_id=${s.session_id}`, m.auth), 400)
    assert.equal(await upgradeStatus(`${wsBase}?mcp_token=${s.token}`, m.auth), 400)
    assert.equal(await upgradeStatus(`${wsBase}?session_id=${s.session_id}&mcp_token=${s.token}`, {}), 401)

    const ws = new WebSocket(`${wsBase}?session_id=${s.session_id}&mcp_token=${s.token}`, ['revka.v1'], { headers: m.auth })
    const frames: any[] = []
    const got3 = new Promise<void>((resolve) =>
      ws.on('message', (d, isBinary) => {
        assert.equal(isBinary, false)
        frames.push(JSON.parse(String(d)))
        if (frames.length === 3) resolve()
      }),
    )
    await new Promise((r, j) => {
      ws.once('open', r)
      ws.once('error', j)
    })
    assert.equal(ws.protocol, 'revka.v1')
    // the socket opens before the gateway has subscribed upstream: wait for the subscription
    for (let i = 0; i < 100; i++) {
      const h = (await (await fetch(`${m.url}/api/mcp/health`, { headers: m.auth })).json()) as any
      if (h.streams >= 1) break
      await new Promise((r) => setTimeout(r, 10))
    }
    await runSessionCall(m, s)
    await got3
    assert.deepEqual(
      frames.map((f) => [f.progress, f.total, f.message, f.tool]),
      EXPECTED.map((e) => [e.progress, e.total, e.message, 'fx_progress']),
    )
    ws.close()

    const bad = new WebSocket(`${wsBase}?session_id=${s.session_id}&mcp_token=${'0'.repeat(64)}`, ['revka.v1'], { headers: m.auth })
    const [first, code] = await new Promise<[any, number]>((resolve) => {
      let msg: any
      bad.on('message', (d) => {
        msg = JSON.parse(String(d))
      })
      bad.on('close', (c) => resolve([msg, c]))
    })
    assert.equal(first.error, 'daemon-unreachable')
    assert.match(first.detail, /401/)
    assert.equal(code, 1011)
  } finally {
    await m.stop()
  }
})
