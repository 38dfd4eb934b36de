/**
 * `POST /hooks/claude-code` (GATEWAY.md §1.1, deliberately-differ item 19) over a real socket:
 * loopback callers and the MCP session credentials the terminal hands a CLI are accepted; anyone
 * else, a wrong session token or a token for another session is 401 and nothing reaches the bus.
 * Unknown fields are dropped, the body and rate are bounded, and nothing in it is ever executed.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AnyEvent } from '@revka/plugin-sdk'
import { bootMcp, mintSession, type McpKernel } from './test-helpers.js'
import { HOOK_BODY_LIMIT, HOOK_PER_MINUTE } from './claude-hook.js'

let m: McpKernel
const bus: AnyEvent[] = []
let off: () => void
before(async () => {
  m = await bootMcp()
  off = m.k.kernel.events.subscribe((e) => {
    if (e.type === 'claude_code_hook') bus.push(e)
  })
})
after(async () => {
  off()
  await m.stop()
})

// a forwarding header makes a request from 127.0.0.1 count as remote (a proxy in front)
const REMOTE = { 'x-forwarded-for': '203.0.113.9' }
const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${m.url}/hooks/claude-code`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })

test('a loopback caller posts a hook event: {ok:true}, and the bus carries the four known fields only', async () => {
  bus.length = 0
  const res = await post({ session_id: 's-1', event_type: 'PreToolUse', tool_name: 'Bash', summary: 'ls -la', command: 'rm -rf /', extra: { deep: true } })
  assert.equal(res.status, 200)
  assert.deepEqual(await res.json(), { ok: true })
  assert.equal(bus.length, 1)
  const e = bus[0] as any
  assert.deepEqual(
    { session_id: e.session_id, event_type: e.event_type, tool_name: e.tool_name, summary: e.summary, via: e.via },
    { session_id: 's-1', event_type: 'PreToolUse', tool_name: 'Bash', summary: 'ls -la', via: 'loopback' },
  )
  assert.equal(e.command, undefined)
  assert.equal(e.extra, undefined)
})

test('from elsewhere: refused without credentials, accepted with the MCP session credentials', async () => {
  bus.length = 0
  const s = await mintSession(m)
  const other = await mintSession(m)
  for (const headers of [
    REMOTE,
    { ...REMOTE, authorization: `Bearer ${s.token}` }, // the token without its session
    { ...REMOTE, authorization: `Bearer ${s.token}`, 'x-revka-session': other.session_id }, // another session's id
    { ...REMOTE, authorization: 'Bearer 00ff', 'x-revka-session': s.session_id },
  ]) {
    const res = await post({ session_id: 'x', event_type: 'Stop' }, headers)
    assert.equal(res.status, 401, JSON.stringify(headers))
  }
  assert.equal(bus.length, 0, 'nothing reached the bus')
  const ok = await post(
    { session_id: s.session_id, event_type: 'PostToolUse', tool_name: 'Edit' },
    { ...REMOTE, authorization: `Bearer ${s.token}`, 'x-revka-session': s.session_id },
  )
  assert.equal(ok.status, 200)
  assert.equal((bus[0] as any).via, 'mcp-session')
})

test('malformed events are 400 and emit nothing; the body is capped at 16 KiB', async () => {
  bus.length = 0
  for (const body of [
    [1],
    { event_type: 'x' },
    { session_id: 's' },
    { session_id: 5, event_type: 'x' },
    { session_id: 's', event_type: 'x', summary: 'y'.repeat(2001) },
    '{not json',
  ]) {
    const res = await post(body)
    assert.equal(res.status, 400, JSON.stringify(body))
  }
  const big = await post({ session_id: 's', event_type: 'x', summary: 'z'.repeat(HOOK_BODY_LIMIT) })
  assert.equal(big.status, 413)
  assert.equal(bus.length, 0)
})

test('nothing in an event is executed: shell syntax in every field stays text', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'revka-hook-'))
  try {
    const marker = join(dir, 'pwned')
    const payload = `$(touch ${marker}); \`touch ${marker}\`; touch ${marker}`
    bus.length = 0
    const short = `$(touch ${marker})`
    const res = await post({ session_id: short, event_type: short.slice(0, 64), tool_name: short, summary: payload })
    assert.equal(res.status, 200)
    await new Promise((r) => setImmediate(r))
    assert.equal(existsSync(marker), false)
    assert.equal((bus[0] as any).summary, payload)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test(`at most ${HOOK_PER_MINUTE} events a minute per client, then 429 with retry_after`, async () => {
  let last: Response | undefined
  for (let i = 0; i <= HOOK_PER_MINUTE; i++) {
    last = await post({ session_id: 'r', event_type: 'tick' })
    if (last.status === 429) break
  }
  assert.equal(last!.status, 429)
  const body = (await last!.json()) as any
  assert.equal(body.code, 'rate_limited')
  assert.ok(body.retry_after > 0)
  assert.ok(last!.headers.get('retry-after'))
})
