/**
 * GET /track/c/{token}?u=: allowed destinations get a 303 and the click is recorded and emitted;
 * everything that would make it an open redirect — a disallowed host, `javascript:`, relative and
 * protocol-relative URLs — and, with a secret, unsigned or forged tokens, is 400 with nothing
 * recorded.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AnyEvent } from '@revka/plugin-sdk'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { mintToken } from './token.js'

const SECRET = 'click-secret-for-tests'
let k: TestKernel
const clicks: AnyEvent[] = []
let off: () => void

before(async () => {
  // the plugin reads the environment like the real gateway does
  process.env.CLICK_TRACKING_SECRET = SECRET
  process.env.CLICK_TRACKING_ALLOWED_HOSTS = 'example.com, docs.revka.dev'
  try {
    k = await startTestKernel({ plugins: ['track'] })
  } finally {
    delete process.env.CLICK_TRACKING_SECRET
    delete process.env.CLICK_TRACKING_ALLOWED_HOSTS
  }
  off = k.kernel.events.subscribe((e) => {
    if (e.type === 'click') clicks.push(e)
  })
})
after(async () => {
  off()
  await k.stop()
})

const logFile = () => join(k.stateDir, 'plugins', 'track', 'clicks.jsonl')
const recorded = () =>
  existsSync(logFile())
    ? readFileSync(logFile(), 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : []
const click = (token: string, u?: string) => k.inject({ url: `/track/c/${token}${u === undefined ? '' : `?u=${encodeURIComponent(u)}`}` })

test('a signed token and an allowed host → 303 to the destination; the click is recorded and emitted', async () => {
  const res = await click(mintToken('campaign-7/link-2', SECRET), 'https://www.example.com/pricing?ref=mail#top')
  assert.equal(res.statusCode, 303)
  assert.equal(res.headers.location, 'https://www.example.com/pricing?ref=mail#top')
  const [rec] = recorded()
  assert.deepEqual(
    { kref: rec.kref, signed: rec.signed, url: rec.url, host: rec.host },
    { kref: 'campaign-7/link-2', signed: true, url: 'https://www.example.com/pricing?ref=mail#top', host: 'www.example.com' },
  )
  assert.equal(clicks.length, 1)
  assert.equal((clicks[0] as any).kref, 'campaign-7/link-2')
  const exact = await click(mintToken('k2', SECRET), 'http://docs.revka.dev/')
  assert.equal(exact.statusCode, 303)
})

test('a redirect stays well under the contract 200 ms budget (median of warm clicks)', async () => {
  const times: number[] = []
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now()
    assert.equal((await click(mintToken(`speed-${i}`, SECRET), 'https://example.com/')).statusCode, 303)
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  assert.ok(times[3] < 200, `median ${times[3].toFixed(1)} ms`)
  clicks.length = 0
})

test('open-redirect attempts → 400 in the contract shape, nothing recorded', async () => {
  const before = recorded().length
  const good = mintToken('k', SECRET)
  const cases: Array<[string | undefined, string]> = [
    [undefined, 'missing_destination'],
    ['', 'missing_destination'],
    ['https://evil.com/', 'invalid_destination'],
    ['https://evil-example.com/', 'invalid_destination'],
    ['https://example.com.evil.com/', 'invalid_destination'],
    ['https://example.com@evil.com/', 'invalid_destination'],
    ['javascript:alert(document.cookie)', 'invalid_destination'],
    ['JaVaScRiPt:alert(1)//https://example.com', 'invalid_destination'],
    ['data:text/html,<script>alert(1)</script>', 'invalid_destination'],
    ['//example.com/path', 'invalid_destination'],
    ['/relative/path', 'invalid_destination'],
    ['example.com/path', 'invalid_destination'],
    ['http:example.com', 'invalid_destination'],
    ['https:/\\example.com', 'invalid_destination'],
    ['ftp://example.com/file', 'invalid_destination'],
  ]
  for (const [u, code] of cases) {
    const res = await click(good, u)
    assert.equal(res.statusCode, 400, String(u))
    assert.equal(res.json().code, code, String(u))
    assert.equal(typeof res.json().error, 'string')
    assert.equal(res.headers.location, undefined)
  }
  assert.equal(recorded().length, before)
})

test('with a secret set, unsigned, forged and malformed tokens → 400 invalid_token, nothing recorded', async () => {
  const before = recorded().length
  const forged = Buffer.concat([Buffer.from('k:'), Buffer.alloc(8, 7)]).toString('base64url')
  const otherKey = mintToken('k', 'another-secret')
  const swapped = Buffer.concat([Buffer.from('other:'), Buffer.from(mintToken('k', SECRET), 'base64url').subarray(-8)]).toString('base64url')
  for (const token of [mintToken('k'), forged, otherKey, swapped, '!!!', 'a'.repeat(800)]) {
    const res = await click(token, 'https://example.com/')
    assert.equal(res.statusCode, 400, token)
    assert.equal(res.json().code, 'invalid_token')
  }
  assert.equal(recorded().length, before)
  assert.equal(clicks.length, 0)
})

test('without a secret, plain tokens redirect (reference behaviour) and the host list still applies', async () => {
  const k2 = await startTestKernel({ plugins: ['track'], options: { track: { allowed_hosts: ['example.com'] } } })
  try {
    const ok = await k2.inject({ url: `/track/c/${mintToken('plain')}?u=${encodeURIComponent('https://example.com/a')}` })
    assert.equal(ok.statusCode, 303)
    const bad = await k2.inject({ url: `/track/c/${mintToken('plain')}?u=${encodeURIComponent('https://evil.com/')}` })
    assert.equal(bad.statusCode, 400)
  } finally {
    await k2.stop()
  }
})
