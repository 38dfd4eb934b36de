/**
 * Attacks on POST /webhook (the synchronous provider): without a device bearer, or with the wrong
 * X-Webhook-Secret when one is configured, nothing runs; the per-client rate limit holds.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { countTurns, sleep, type TurnCounter } from '../../test/ingress/support.js'

const SECRET = 'generic-webhook-secret'
const payload = JSON.stringify({ message: 'run the report' })

let k: TestKernel
let turns: TurnCounter

before(async () => {
  k = await startTestKernel({
    plugins: ['webhook', 'agent-runtime'],
    options: { webhook: { secret: SECRET } },
    config: '[gateway]\nwebhook_rate_limit_per_minute = 1000\n',
  })
  turns = countTurns(k)
})
after(async () => {
  turns.stop()
  await k.stop()
})

const post = (headers: Record<string, string>, remoteAddress?: string) =>
  k.inject({ method: 'POST', url: '/webhook', headers: { 'content-type': 'application/json', ...headers }, payload, remoteAddress })

async function assertNothingRan(res: { statusCode: number; json(): any }, status: number, code: string) {
  assert.equal(res.statusCode, status)
  assert.equal(res.json().code, code)
  assert.equal(typeof res.json().error, 'string')
  await sleep(100)
  assert.equal(turns.count, 0, 'the agent must not run')
}

test('no bearer, a forged bearer, or the webhook secret used as a bearer → 401', async () => {
  await assertNothingRan(await post({ 'x-webhook-secret': SECRET }), 401, 'unauthorized')
  await assertNothingRan(await post({ authorization: 'Bearer rk_forged', 'x-webhook-secret': SECRET }, '203.0.113.9'), 401, 'unauthorized')
  await assertNothingRan(await post({ authorization: `Bearer ${SECRET}`, 'x-webhook-secret': SECRET }, '203.0.113.9'), 401, 'unauthorized')
})

test('a valid bearer with a missing, wrong or truncated X-Webhook-Secret → 401', async () => {
  const auth = { authorization: `Bearer ${k.token}` }
  await assertNothingRan(await post(auth), 401, 'invalid_webhook_secret')
  await assertNothingRan(await post({ ...auth, 'x-webhook-secret': 'wrong' }), 401, 'invalid_webhook_secret')
  await assertNothingRan(await post({ ...auth, 'x-webhook-secret': SECRET.slice(0, -1) }), 401, 'invalid_webhook_secret')
  assert.match((await post(auth)).json().error, /X-Webhook-Secret/)
})

test('bearer + secret → the turn runs (control)', async () => {
  const res = await post({ authorization: `Bearer ${k.token}`, 'x-webhook-secret': SECRET })
  assert.equal(res.statusCode, 200)
  assert.equal(turns.count, 1)
})

test('webhook_rate_limit_per_minute applies per client: 429 with retry_after, and the turn does not run', async () => {
  const k2 = await startTestKernel({ plugins: ['webhook', 'agent-runtime'], config: '[gateway]\nwebhook_rate_limit_per_minute = 2\n' })
  const turns2 = countTurns(k2)
  try {
    const send = () =>
      k2.inject({ method: 'POST', url: '/webhook', headers: { 'content-type': 'application/json', authorization: `Bearer ${k2.token}` }, payload })
    assert.equal((await send()).statusCode, 200)
    assert.equal((await send()).statusCode, 200)
    const limited = await send()
    assert.equal(limited.statusCode, 429)
    assert.equal(limited.json().code, 'rate_limited')
    assert.ok(limited.json().retry_after >= 1)
    assert.ok(limited.headers['retry-after'])
    await sleep(100)
    assert.equal(turns2.count, 2)
  } finally {
    turns2.stop()
    await k2.stop()
  }
})
