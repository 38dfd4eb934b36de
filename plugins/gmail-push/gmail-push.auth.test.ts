/**
 * Attacks on POST /webhook/gmail: the push secret is a bearer the kernel must not confuse with a
 * device token (and vice versa); near misses are refused with no trace; the 1 MiB cap is real.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-sdk/testing'
import { assertRefusedAndInert, countTurns, rawRequest, startFakeApi, type FakeApi, type TurnCounter } from '../../test/ingress/support.js'

const SECRET = 'gmail-push-secret-for-tests'
const envelope = (id: string, extra: Record<string, unknown> = {}) => JSON.stringify({
  message: { data: Buffer.from(JSON.stringify({ emailAddress: 'me@example.com', historyId: '98765' })).toString('base64'), messageId: id, publishTime: '2026-01-01T00:00:00Z' },
  subscription: 'projects/p/subscriptions/gmail-push',
  ...extra,
})
const body = envelope('ps-attack')

let k: TestKernel
let api: FakeApi
let turns: TurnCounter

before(async () => {
  api = await startFakeApi()
  k = await startTestKernel({ plugins: ['gmail-push', 'agent-runtime'], options: { 'gmail-push': { webhook_secret: SECRET, api_base_url: `${api.url}/gmail-replies` } } })
  turns = countTurns(k)
})
after(async () => {
  turns.stop()
  await k.stop()
  await api.close()
})

const post = (headers: Record<string, string>, payload: string | Buffer = body) =>
  k.inject({ method: 'POST', url: '/webhook/gmail', headers: { 'content-type': 'application/json', ...headers }, payload })
const inert = () => ({ turns, api, stateDir: k.stateDir, pluginId: 'gmail-push', channel: 'gmail' })
const refused = { status: 401, code: 'invalid_signature' }

test('missing, wrong, truncated or wrongly-schemed Authorization → 401', async () => {
  await assertRefusedAndInert(await post({}), refused, inert())
  await assertRefusedAndInert(await post({ authorization: 'Bearer nope' }), refused, inert())
  await assertRefusedAndInert(await post({ authorization: `Bearer ${SECRET.slice(0, -2)}` }), refused, inert())
  await assertRefusedAndInert(await post({ authorization: `Basic ${SECRET}` }), refused, inert())
  await assertRefusedAndInert(await post({ authorization: SECRET }), refused, inert())
  await assertRefusedAndInert(await post({ authorization: `Bearer ${SECRET}x` }), refused, inert())
})

test('a paired device token or the service token is not the push secret', async () => {
  await assertRefusedAndInert(await post({ authorization: `Bearer ${k.token}` }), refused, inert())
  await assertRefusedAndInert(await post({ 'x-revka-service-token': k.serviceToken }), refused, inert())
})

test('an envelope that is not Pub/Sub → 400, and nothing runs', async () => {
  for (const bad of ['{}', '{"message":{"data":"!!!","messageId":"1"}}', JSON.stringify({ message: { data: Buffer.from('{"x":1}').toString('base64'), messageId: '1' } })]) {
    const res = await post({ authorization: `Bearer ${SECRET}` }, bad)
    assert.equal(res.statusCode, 400, bad)
    assert.equal(res.json().code, 'invalid_payload')
  }
  await new Promise((r) => setTimeout(r, 100))
  assert.equal(turns.count, 0)
})

test('1 MiB body cap: a 1 MiB envelope is accepted, one byte over is 413 before verification', async () => {
  const pad = (n: number) => { const e = envelope(`ps-big-${n}`, { pad: '' }); return envelope(`ps-big-${n}`, { pad: 'x'.repeat(n - Buffer.byteLength(e)) }) }
  const atLimit = pad(1024 * 1024)
  assert.equal(Buffer.byteLength(atLimit), 1024 * 1024)
  const ok = await rawRequest(k.url!, { method: 'POST', path: '/webhook/gmail', headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` }, body: atLimit })
  assert.equal(ok.status, 200)
  const over = await rawRequest(k.url!, { method: 'POST', path: '/webhook/gmail', headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` }, body: pad(1024 * 1024 + 1) })
  assert.equal(over.status, 413)
  assert.equal(over.json().code, 'payload_too_large')
})

test('no push secret configured → 503 webhook_not_configured, even with a valid device bearer', async () => {
  const k2 = await startTestKernel({ plugins: ['gmail-push', 'agent-runtime'] })
  const turns2 = countTurns(k2)
  try {
    const res = await k2.inject({ method: 'POST', url: '/webhook/gmail', headers: { 'content-type': 'application/json', authorization: `Bearer ${k2.token}` }, payload: body })
    await assertRefusedAndInert(res, { status: 503, code: 'webhook_not_configured' }, { turns: turns2, stateDir: k2.stateDir, pluginId: 'gmail-push', channel: 'gmail' })
  } finally {
    turns2.stop()
    await k2.stop()
  }
})
