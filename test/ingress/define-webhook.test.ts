/**
 * defineWebhook's options over real sockets, through a fixture provider (HMAC over
 * "{ts}.{body}", event id in the body, in-band challenge): a bad signature and a stale timestamp
 * are both 401 but with their own codes; a challenge is answered only once verified; the
 * de-duplication window is the provider's own; the unsigned X-Idempotency-Key header counts only
 * for a provider that opts in, and never over the provider's key. Every refusal leaves nothing
 * behind (no turn, nothing journalled, no reply posted). The gateway's clock is a ManualClock.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ManualClock, startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { hmacSha256Hex } from '@revka/plugin-sdk'
import { assertRefusedAndInert, countTurns, journal, startFakeApi, type FakeApi, type TurnCounter } from './support.js'
import { assertSettled } from './settled-turns.js'

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'plugins', 'fx-webhook')
const SECRET = 'fx-signing-secret'

interface Gw {
  k: TestKernel
  clock: ManualClock
  turns: TurnCounter
  api: FakeApi
  url: string
}

async function withGateway(options: Record<string, unknown>, body: (g: Gw) => Promise<void>): Promise<void> {
  const api = await startFakeApi()
  const clock = new ManualClock(Date.UTC(2026, 0, 1))
  const k = await startTestKernel({
    plugins: ['agent-runtime'],
    paths: [FIXTURE],
    clock,
    options: { 'fx-webhook': { secret: SECRET, api_base_url: api.url, ...options } },
  })
  const turns = countTurns(k)
  try {
    await body({ k, clock, turns, api, url: await k.listen() })
  } finally {
    turns.stop()
    await k.stop()
    await api.close()
  }
}

/** a delivery signed at the gateway clock's now (or at `at`, unix seconds) */
function signed(g: Gw, payload: object, opts: { at?: number; secret?: string; headers?: Record<string, string> } = {}) {
  const raw = JSON.stringify(payload)
  const ts = String(opts.at ?? Math.floor(g.clock.nowMs / 1000))
  return fetch(`${g.url}/fx-webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-fx-timestamp': ts,
      'x-fx-signature': hmacSha256Hex(opts.secret ?? SECRET, `${ts}.${raw}`),
      ...opts.headers,
    },
    body: raw,
  }).then(async (res) => {
    const text = await res.text()
    return { statusCode: res.status, text, json: () => JSON.parse(text) }
  })
}

const message = (id: string | undefined, text: string) => ({ type: 'message', id, from: 'ann', text })
const inert = (g: Gw) => ({ turns: g.turns, api: g.api, stateDir: g.k.stateDir, pluginId: 'fx-webhook', channel: 'fx' })

test('a bad signature is 401 invalid_signature, a correctly signed stale one 401 stale_timestamp; neither runs anything', async () => {
  await withGateway({}, async (g) => {
    const now = Math.floor(g.clock.nowMs / 1000)
    await assertRefusedAndInert(await signed(g, message('e1', 'hi'), { secret: 'not-the-secret' }), { status: 401, code: 'invalid_signature' }, inert(g))
    // stale or future by more than 300 s, and a signature that is also wrong: the signature wins
    await assertRefusedAndInert(await signed(g, message('e1', 'hi'), { at: now - 301 }), { status: 401, code: 'stale_timestamp' }, inert(g))
    await assertRefusedAndInert(await signed(g, message('e1', 'hi'), { at: now + 301 }), { status: 401, code: 'stale_timestamp' }, inert(g))
    await assertRefusedAndInert(await signed(g, message('e1', 'hi'), { at: now - 301, secret: 'nope' }), { status: 401, code: 'invalid_signature' }, inert(g))
    // a captured delivery replayed after the window, once the gateway's clock moved on
    const capturedAt = now
    g.clock.advance(301_000)
    await assertRefusedAndInert(await signed(g, message('e1', 'hi'), { at: capturedAt }), { status: 401, code: 'stale_timestamp' }, inert(g))
    // control: inside the window it is accepted
    const ok = await signed(g, message('e1', 'hi'), { at: Math.floor(g.clock.nowMs / 1000) - 299 })
    assert.equal(ok.statusCode, 200)
    await g.api.waitFor(1)
  })
})

test('an in-band challenge is answered only after verification, and starts nothing', async () => {
  await withGateway({}, async (g) => {
    await assertRefusedAndInert(
      await signed(g, { type: 'challenge', challenge: 'c-123' }, { secret: 'forged' }),
      { status: 401, code: 'invalid_signature' },
      inert(g),
    )
    await assertRefusedAndInert(
      await signed(g, { type: 'challenge', challenge: 'c-123' }, { at: Math.floor(g.clock.nowMs / 1000) - 1000 }),
      { status: 401, code: 'stale_timestamp' },
      inert(g),
    )
    const res = await signed(g, { type: 'challenge', challenge: 'c-123' })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { challenge: 'c-123' })
    await assertSettled({ turns: g.turns, api: g.api }, { turns: 0, apiRequests: 0 }, 100)
    assert.deepEqual(
      journal(g.k.stateDir, 'fx-webhook', 'fx').filter((r) => r.op === 'enq'),
      [],
    )
  })
})

test('a delivery signed ahead of our clock stays a duplicate for as long as its signature is accepted', async () => {
  await withGateway({}, async (g) => {
    const ahead = Math.floor(g.clock.nowMs / 1000) + 250
    assert.equal((await signed(g, message('evt-skew', 'once'), { at: ahead })).json().status, 'ok')
    await g.api.waitFor(1)
    // 400 s later the 5-minute window from arrival is over, but the timestamp is still only 150 s old
    g.clock.advance(400_000)
    assert.equal((await signed(g, message('evt-skew', 'once'), { at: ahead })).json().status, 'duplicate')
    g.clock.advance(151_000)
    const late = await signed(g, message('evt-skew', 'once'), { at: ahead })
    assert.equal(late.statusCode, 401)
    assert.equal(late.json().code, 'stale_timestamp')
    await assertSettled({ turns: g.turns, api: g.api }, { turns: 1, apiRequests: 1 }, 100)
  })
})

test('the de-duplication window is per provider: 600 s catches a retry at +400 s, a delivery at +601 s runs again', async () => {
  await withGateway({ window_secs: 600 }, async (g) => {
    assert.equal((await signed(g, message('evt-1', 'first'))).json().status, 'ok')
    await g.api.waitFor(1)
    g.clock.advance(400_000)
    // a provider retry: same event id, signed afresh
    assert.equal((await signed(g, message('evt-1', 'first'))).json().status, 'duplicate')
    g.clock.advance(201_000)
    assert.equal((await signed(g, message('evt-1', 'first'))).json().status, 'ok')
    await g.api.waitFor(2)
    await assertSettled({ turns: g.turns, api: g.api }, { turns: 2, apiRequests: 2 }, 200)
  })
})

test('the default window stays 5 minutes', async () => {
  await withGateway({}, async (g) => {
    assert.equal((await signed(g, message('evt-2', 'x'))).json().status, 'ok')
    g.clock.advance(299_000)
    assert.equal((await signed(g, message('evt-2', 'x'))).json().status, 'duplicate')
    g.clock.advance(2_000)
    assert.equal((await signed(g, message('evt-2', 'x'))).json().status, 'ok')
    await g.api.waitFor(2)
  })
})

test('without opt-in the unsigned header is ignored: a keyless replay is caught by its body, whatever the header says', async () => {
  await withGateway({}, async (g) => {
    assert.equal((await signed(g, message(undefined, 'no id'), { headers: { 'x-idempotency-key': 'a' } })).json().status, 'ok')
    assert.equal((await signed(g, message(undefined, 'no id'), { headers: { 'x-idempotency-key': 'b' } })).json().status, 'duplicate')
    assert.equal((await signed(g, message(undefined, 'no id'))).json().status, 'duplicate')
    await g.api.waitFor(1)
    await assertSettled({ turns: g.turns, api: g.api }, { turns: 1, apiRequests: 1 }, 200)
  })
})

test('with opt-in the header keys a delivery that has no key of its own, and never overrides the provider key', async () => {
  await withGateway({ accept_header: true }, async (g) => {
    // the sender's own retries, keyed by the header
    assert.equal((await signed(g, message(undefined, 'keyed'), { headers: { 'x-idempotency-key': 'k-1' } })).json().status, 'ok')
    assert.equal((await signed(g, message(undefined, 'keyed again'), { headers: { 'x-idempotency-key': 'k-1' } })).json().status, 'duplicate')
    // the provider's key wins: a new header value buys no second turn
    assert.equal((await signed(g, message('evt-3', 'pay'), { headers: { 'x-idempotency-key': 'k-2' } })).json().status, 'ok')
    assert.equal((await signed(g, message('evt-3', 'pay'), { headers: { 'x-idempotency-key': 'k-3' } })).json().status, 'duplicate')
    await g.api.waitFor(2)
    await assertSettled({ turns: g.turns, api: g.api }, { turns: 2, apiRequests: 2 }, 200)
  })
})

test('an out-of-range window fails the plugin at setup, with the reason', async () => {
  await assert.rejects(
    startTestKernel({ plugins: ['agent-runtime'], paths: [FIXTURE], options: { 'fx-webhook': { secret: SECRET, window_secs: 86_401 } } }),
    /fx-webhook is failed: REVKA_ERR_WEBHOOK_WINDOW: fx: idempotencyWindowSecs must be an integer in 1\.\.86400/,
  )
})
