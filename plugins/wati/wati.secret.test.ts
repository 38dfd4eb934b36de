/**
 * Attacks on GET/POST /wati: WATI's shared-secret header is the whole defence, so every near miss —
 * absent, wrong, truncated, padded, sent under another header — is refused with no trace.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { assertRefusedAndInert } from '../../test/ingress/support.js'
import { providerForFile, withProvider } from '../../test/ingress/provider-fixture.js'

const SECRET = 'wati-shared-secret-for-tests'
const VERIFY = 'wati-verify-token'
const body = JSON.stringify({
  id: 'w-attack',
  whatsappMessageId: 'wamid.W1',
  eventType: 'message',
  type: 'text',
  text: 'reset my password',
  waId: '15557654321',
  owner: false,
})

const p = providerForFile({ plugin: 'wati', options: (url) => ({ webhook_secret: SECRET, verify_token: VERIFY, api_token: 'wati-token', api_base_url: url }) })

const post = (headers: Record<string, string>, payload = body) =>
  p.k.inject({ method: 'POST', url: '/wati', headers: { 'content-type': 'application/json', ...headers }, payload })
const inert = () => ({ turns: p.turns, api: p.api, stateDir: p.k.stateDir, pluginId: 'wati' })
const refused = { status: 401, code: 'invalid_signature' }

test('missing, wrong, truncated, extended or misplaced secret → 401', async () => {
  await assertRefusedAndInert(await post({}), refused, inert())
  await assertRefusedAndInert(await post({ 'x-revka-webhook-secret': 'guess' }), refused, inert())
  await assertRefusedAndInert(await post({ 'x-revka-webhook-secret': SECRET.slice(0, -1) }), refused, inert())
  await assertRefusedAndInert(await post({ 'x-revka-webhook-secret': `${SECRET}x` }), refused, inert())
  await assertRefusedAndInert(await post({ 'x-webhook-secret': SECRET }), refused, inert())
  await assertRefusedAndInert(await post({ authorization: `Bearer ${SECRET}` }), refused, inert())
  // a paired device's bearer token is not a WATI secret either
  await assertRefusedAndInert(await post({ authorization: `Bearer ${p.k.token}`, 'x-revka-webhook-secret': p.k.token! }), refused, inert())
})

test('GET echoes hub.challenge only with the verify token', async () => {
  const ok = await p.k.inject({ url: `/wati?hub.verify_token=${VERIFY}&hub.challenge=abc123` })
  assert.equal(ok.statusCode, 200)
  assert.equal(ok.body, 'abc123')
  for (const q of ['hub.challenge=abc123', 'hub.verify_token=nope&hub.challenge=abc123', `hub.verify_token=${SECRET}&hub.challenge=abc123`]) {
    const res = await p.k.inject({ url: `/wati?${q}` })
    assert.equal(res.statusCode, 403, q)
    assert.ok(!res.body.includes('abc123'))
  }
})

test('no webhook secret configured → 503 webhook_not_configured and the agent never runs', async () => {
  await withProvider({ plugin: 'wati', options: (url) => ({ api_base_url: url }), api: p.api }, async ({ k: k2, api, turns: turns2 }) => {
    const res = await k2.inject({
      method: 'POST',
      url: '/wati',
      headers: { 'content-type': 'application/json', 'x-revka-webhook-secret': SECRET },
      payload: body,
    })
    await assertRefusedAndInert(res, { status: 503, code: 'webhook_not_configured' }, { turns: turns2, api, stateDir: k2.stateDir, pluginId: 'wati' })
    const hs = await k2.inject({ url: '/wati?hub.verify_token=x&hub.challenge=abc123' })
    assert.equal(hs.statusCode, 503)
    assert.ok(!hs.body.includes('abc123'))
  })
})
