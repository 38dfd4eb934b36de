/**
 * POST /webhook answers in the same request with the real agent runtime: `{response, model}` from a
 * tool-less turn, `X-Idempotency-Key` duplicates, the reference's 400 for a body that is not
 * `{message}`, and X-Session-Id carried into the session id.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { AnyEvent } from '@revka/plugin-sdk'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { sleep } from '../../test/ingress/support.js'
import { IdempotencyWindow } from './idempotency.js'

let k: TestKernel
const events: AnyEvent[] = []
let off: () => void

before(async () => {
  k = await startTestKernel({ plugins: ['webhook', 'agent-runtime'], config: '[gateway]\nwebhook_rate_limit_per_minute = 1000\n' })
  off = k.kernel.events.subscribe((e) => events.push(e))
})
after(async () => {
  off()
  await k.stop()
})

const post = (payload: string, headers: Record<string, string> = {}, contentType = 'application/json') =>
  k.inject({ method: 'POST', url: '/webhook', headers: { 'content-type': contentType, authorization: `Bearer ${k.token}`, ...headers }, payload })
const starts = () => events.filter((e) => e.type === 'agent_start')

test('{message} → {response, model} from a tool-less turn, in the same request', async () => {
  const res = await post(JSON.stringify({ message: 'what is the status?' }), { 'x-session-id': 'ops-42' })
  assert.equal(res.statusCode, 200)
  const body = res.json()
  assert.deepEqual(Object.keys(body).sort(), ['model', 'response'])
  assert.match(body.response, /what is the status\?/)
  assert.equal(typeof body.model, 'string')
  assert.ok(body.model.length > 0)
  // tool-less: the offline responder lists tools only when the turn offers them
  assert.doesNotMatch(body.response, /I can run/)
  const start = starts().at(-1) as any
  assert.equal(start.session_id, 'webhook_ops-42')
})

test('X-Idempotency-Key: the second request is a duplicate and the agent runs once', async () => {
  const before = starts().length
  const first = await post(JSON.stringify({ message: 'charge the card' }), { 'x-idempotency-key': 'order-1' })
  const second = await post(JSON.stringify({ message: 'charge the card' }), { 'x-idempotency-key': 'order-1' })
  assert.equal(first.statusCode, 200)
  assert.ok(first.json().response)
  assert.equal(second.statusCode, 200)
  assert.deepEqual({ status: second.json().status, idempotent: second.json().idempotent }, { status: 'duplicate', idempotent: true })
  assert.equal(typeof second.json().message, 'string')
  await sleep(50)
  assert.equal(starts().length - before, 1)
})

test('a body that is not {message} → 400 in the contract shape, and no turn', async () => {
  const before = starts().length
  for (const [payload, ct] of [
    ['not json', 'application/json'],
    ['not json', 'text/plain'],
    ['{"msg":"x"}', 'application/json'],
    ['{"message":""}', 'application/json'],
    ['{"message":42}', 'application/json'],
    ['[]', 'application/json'],
  ]) {
    const res = await post(payload, {}, ct)
    assert.equal(res.statusCode, 400, `${ct} ${payload}`)
    assert.equal(res.json().code, 'invalid_json')
    assert.match(res.json().error, /Invalid JSON body/)
  }
  const badSession = await post(JSON.stringify({ message: 'hi' }), { 'x-session-id': '../../etc' })
  assert.equal(badSession.statusCode, 400)
  assert.equal(badSession.json().code, 'invalid_session_id')
  assert.equal(starts().length, before)
})

test('a JSON body sent as text/plain is still read', async () => {
  const res = await post(JSON.stringify({ message: 'plain text carrier' }), {}, 'text/plain')
  assert.equal(res.statusCode, 200)
  assert.match(res.json().response, /plain text carrier/)
})

test('the idempotency window expires keys and stays bounded', () => {
  let now = 0
  const w = new IdempotencyWindow(1000, 2, () => now)
  assert.equal(w.claim('a'), true)
  assert.equal(w.claim('a'), false)
  now = 1000
  assert.equal(w.claim('a'), true, 'expired after the TTL')
  w.claim('b')
  w.claim('c')
  assert.equal(w.size, 2)
  assert.equal(w.claim('a'), true, 'the oldest key was evicted')
  w.release('c')
  assert.equal(w.claim('c'), true)
})
