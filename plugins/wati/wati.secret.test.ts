/**
 * Attacks on GET/POST /wati: WATI's shared-secret header is the whole defence, so every near miss —
 * absent, wrong, truncated, padded, sent under another header — is refused with no trace.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-sdk/testing'
import { assertRefusedAndInert, countTurns, startFakeApi, type FakeApi, type TurnCounter } from '../../test/ingress/support.js'

const SECRET = 'wati-shared-secret-for-tests'
const VERIFY = 'wati-verify-token'
const body = JSON.stringify({ id: 'w-attack', whatsappMessageId: 'wamid.W1', eventType: 'message', type: 'text', text: 'reset my password', waId: '15557654321', owner: false })

let k: TestKernel
let api: FakeApi
let turns: TurnCounter

before(async () => {
  api = await startFakeApi()
  k = await startTestKernel({ plugins: ['wati', 'agent-runtime'], options: { wati: { webhook_secret: SECRET, verify_token: VERIFY, api_token: 'wati-token', api_base_url: api.url } } })
  turns = countTurns(k)
})
after(async () => {
  turns.stop()
  await k.stop()
  await api.close()
})

const post = (headers: Record<string, string>, payload = body) =>
  k.inject({ method: 'POST', url: '/wati', headers: { 'content-type': 'application/json', ...headers }, payload })
const inert = () => ({ turns, api, stateDir: k.stateDir, pluginId: 'wati' })
const refused = { status: 401, code: 'invalid_signature' }

test('missing, wrong, truncated, extended or misplaced secret → 401', async () => {
  await assertRefusedAndInert(await post({}), refused, inert())
  await assertRefusedAndInert(await post({ 'x-revka-webhook-secret': 'guess' }), refused, inert())
  await assertRefusedAndInert(await post({ 'x-revka-webhook-secret': SECRET.slice(0, -1) }), refused, inert())
  await assertRefusedAndInert(await post({ 'x-revka-webhook-secret': `${SECRET}x` }), refused, inert())
  await assertRefusedAndInert(await post({ 'x-webhook-secret': SECRET }), refused, inert())
  await assertRefusedAndInert(await post({ authorization: `Bearer ${SECRET}` }), refused, inert())
  // a paired device's bearer token is not a WATI secret either
  await assertRefusedAndInert(await post({ authorization: `Bearer ${k.token}`, 'x-revka-webhook-secret': k.token! }), refused, inert())
})

test('GET echoes hub.challenge only with the verify token', async () => {
  const ok = await k.inject({ url: `/wati?hub.verify_token=${VERIFY}&hub.challenge=abc123` })
  assert.equal(ok.statusCode, 200)
  assert.equal(ok.body, 'abc123')
  for (const q of ['hub.challenge=abc123', 'hub.verify_token=nope&hub.challenge=abc123', `hub.verify_token=${SECRET}&hub.challenge=abc123`]) {
    const res = await k.inject({ url: `/wati?${q}` })
    assert.equal(res.statusCode, 401, q)
    assert.ok(!res.body.includes('abc123'))
  }
})

test('no webhook secret configured → 503 webhook_not_configured and the agent never runs', async () => {
  const k2 = await startTestKernel({ plugins: ['wati', 'agent-runtime'], options: { wati: { api_base_url: api.url } } })
  const turns2 = countTurns(k2)
  try {
    const res = await k2.inject({ method: 'POST', url: '/wati', headers: { 'content-type': 'application/json', 'x-revka-webhook-secret': SECRET }, payload: body })
    await assertRefusedAndInert(res, { status: 503, code: 'webhook_not_configured' }, { turns: turns2, api, stateDir: k2.stateDir, pluginId: 'wati' })
    const hs = await k2.inject({ url: '/wati?hub.verify_token=x&hub.challenge=abc123' })
    assert.equal(hs.statusCode, 503)
    assert.ok(!hs.body.includes('abc123'))
  } finally {
    turns2.stop()
    await k2.stop()
  }
})
