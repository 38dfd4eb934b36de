/**
 * Issue 10 item 4 — canvas memory filled with no token, from loopback: 5,050 posts of 256 KiB took
 * the RSS to 1.52 GB and filled all 100 canvas slots, so everyone got 429; 100 idle viewers filled
 * the slots as well. Over real sockets: one credential's flood stops at its own quota (canvases
 * and bytes), the bytes held stay within the budget, and another credential still creates a canvas.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { openViewer, type Viewer } from './test-support/viewer.js'

/** defaults (revka.plugin.json), except the byte quota: lowered so the flood stays short */
const CANVASES_PER_CREDENTIAL = 32
const BYTES_PER_CREDENTIAL = 4 * 1024 * 1024
const TOTAL_BYTES = 64 * 1024 * 1024
const VIEWERS_PER_CREDENTIAL = 32

let k: TestKernel
let bob: string
before(async () => {
  k = await startTestKernel({ plugins: ['canvas', 'pairing', 'status'], listen: true, options: { canvas: { credential_bytes: BYTES_PER_CREDENTIAL } } })
  bob = k.pairDevice('bob').token
})
after(async () => {
  await k.stop()
})

const blob = 'x'.repeat(256 * 1024 - 16)

/**
 * POST over a real socket. Without a token the caller is loopback; with one it comes "through a
 * proxy" (a forwarding header makes 127.0.0.1 non-local), since a local caller is let in as
 * loopback before its bearer is looked at.
 */
async function post(id: string, content: string, token?: string): Promise<{ status: number; body: any; retryAfter: string | null }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (token) Object.assign(headers, { authorization: `Bearer ${token}`, 'x-forwarded-for': '198.51.100.9' })
  const r = await fetch(`${k.url}/api/canvas/${id}`, { method: 'POST', headers, body: JSON.stringify({ content }) })
  return { status: r.status, body: await r.json(), retryAfter: r.headers.get('retry-after') }
}

async function canvasStatus(): Promise<any> {
  return ((await (await fetch(`${k.url}/api/status`, { headers: { authorization: `Bearer ${bob}` } })).json()) as any).canvas
}

async function clearAll(): Promise<void> {
  const { canvases } = (await (await fetch(`${k.url}/api/canvas`, { headers: { authorization: `Bearer ${bob}` } })).json()) as { canvases: string[] }
  for (const id of canvases) await fetch(`${k.url}/api/canvas/${id}`, { method: 'DELETE' })
}

test('a loopback flood stops at its own canvas quota and byte quota; the budget holds; another credential still creates a canvas', async (t) => {
  const rssBefore = process.memoryUsage().rss
  const statuses: number[] = []
  let refusal: Awaited<ReturnType<typeof post>> | undefined
  for (let i = 0; i < 40; i++) {
    const r = await post(`flood-${i}`, `${i}:small`)
    statuses.push(r.status)
    if (r.status !== 201) refusal ??= r
  }
  const created = statuses.filter((s) => s === 201).length
  t.diagnostic(`canvases created by one credential: ${created} of 40; refusals: ${JSON.stringify([...new Set(statuses)])}`)
  assert.equal(created, CANVASES_PER_CREDENTIAL, 'one credential filled more than its canvas quota')
  assert.equal(refusal!.status, 429)
  assert.equal(refusal!.body.code, 'canvas_quota_exceeded')
  assert.equal(typeof refusal!.body.error, 'string')
  assert.equal(refusal!.retryAfter, String(refusal!.body.retry_after))

  // many 256 KiB renders into its own canvases: its history is trimmed to its byte quota, never refused
  const big = 24
  for (let i = 0; i < big; i++) assert.equal((await post(`flood-${i % 8}`, `again ${i}:${blob}`)).status, 201)
  const s = await canvasStatus()
  t.diagnostic(
    `bytes held after ${big} posts of 256 KiB: ${s.bytes} (budget ${s.max_bytes}); RSS ${Math.round(rssBefore / 1048576)} → ${Math.round(process.memoryUsage().rss / 1048576)} MB`,
  )
  assert.ok(s.bytes <= BYTES_PER_CREDENTIAL, `one credential holds ${s.bytes} bytes, over its ${BYTES_PER_CREDENTIAL}`)
  assert.ok(s.bytes > BYTES_PER_CREDENTIAL - 512 * 1024, 'the quota is used, not left idle')
  assert.equal(s.max_bytes, TOTAL_BYTES)

  const theirs = await post('bob-1', '<p>mine</p>', bob)
  assert.equal(theirs.status, 201, 'another credential is locked out by the flood')
  const history = (await (await fetch(`${k.url}/api/canvas/flood-0/history`, { headers: { authorization: `Bearer ${bob}` } })).json()) as any
  assert.ok(history.frames.length >= 1 && history.frames.at(-1).content.startsWith('again 16:'), 'the newest frame is always kept')
  await clearAll()
  assert.equal((await canvasStatus()).bytes, 0, 'clearing gives every byte back')
})

test('idle viewers take no canvas slot, and one token holds at most its viewer quota', async () => {
  const viewers: Viewer[] = []
  let refused = 0
  try {
    for (let i = 0; i < 100; i++) {
      try {
        viewers.push(await openViewer(k, `watch-${i}`, { token: bob }))
      } catch (e) {
        assert.equal((e as { statusCode?: number }).statusCode, 429)
        refused++
      }
    }
    assert.equal(viewers.length, VIEWERS_PER_CREDENTIAL, 'one token opened more viewers than its quota')
    assert.equal(refused, 100 - VIEWERS_PER_CREDENTIAL)
    const s = await canvasStatus()
    assert.equal(s.canvases, 0, 'viewers of empty canvases hold no slot')
    assert.equal(s.viewers, VIEWERS_PER_CREDENTIAL)
    for (let i = 0; i < CANVASES_PER_CREDENTIAL; i++) assert.equal((await post(`free-${i}`, 'x')).status, 201)
  } finally {
    for (const v of viewers) await v.close()
    await clearAll()
  }
})
