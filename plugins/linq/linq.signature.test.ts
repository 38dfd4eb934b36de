/**
 * Attacks on POST /linq: missing, forged, truncated, wrong-algorithm and stale signatures, and a body
 * altered after signing, are refused with no trace (no turn, no Linq API call, nothing journalled).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { assertRefusedAndInert } from '../../test/ingress/support.js'
import { providerForFile, withProvider } from '../../test/ingress/provider-fixture.js'

const SECRET = 'linq-signing-secret-for-tests'
const body = JSON.stringify({
  event_type: 'message.received',
  event_id: 'evt_attack',
  data: { chat_id: 'chat-1', from: '+15551230000', is_from_me: false, message: { id: 'msg-attack', parts: [{ type: 'text', value: 'wire the money' }] } },
})
const now = () => String(Math.floor(Date.now() / 1000))
const sig = (ts: string, raw: string, key = SECRET, algo = 'sha256') => createHmac(algo, key).update(`${ts}.${raw}`).digest('hex')

const p = providerForFile({ plugin: 'linq', options: (url) => ({ signing_secret: SECRET, api_token: 'linq-token', api_base_url: url }) })

const post = (headers: Record<string, string>, payload = body) =>
  p.k.inject({ method: 'POST', url: '/linq', headers: { 'content-type': 'application/json', ...headers }, payload })
const inert = () => ({ turns: p.turns, api: p.api, stateDir: p.k.stateDir, pluginId: 'linq' })
const refused = { status: 401, code: 'invalid_signature' }

test('missing signature or timestamp → 401', async () => {
  const ts = now()
  await assertRefusedAndInert(await post({}), refused, inert())
  await assertRefusedAndInert(await post({ 'x-webhook-timestamp': ts }), refused, inert())
  await assertRefusedAndInert(await post({ 'x-webhook-signature': sig(ts, body) }), refused, inert())
})

test('wrong key, truncated, and wrong algorithm → 401', async () => {
  const ts = now()
  await assertRefusedAndInert(await post({ 'x-webhook-timestamp': ts, 'x-webhook-signature': sig(ts, body, 'other-secret') }), refused, inert())
  await assertRefusedAndInert(await post({ 'x-webhook-timestamp': ts, 'x-webhook-signature': sig(ts, body).slice(0, 32) }), refused, inert())
  await assertRefusedAndInert(await post({ 'x-webhook-timestamp': ts, 'x-webhook-signature': `sha1=${sig(ts, body, SECRET, 'sha1')}` }), refused, inert())
  await assertRefusedAndInert(await post({ 'x-webhook-timestamp': ts, 'x-webhook-signature': `sha1=${sig(ts, body)}` }), refused, inert())
  // the body alone, without the "{ts}." prefix, is not what Linq signs
  await assertRefusedAndInert(
    await post({ 'x-webhook-timestamp': ts, 'x-webhook-signature': createHmac('sha256', SECRET).update(body).digest('hex') }),
    refused,
    inert(),
  )
})

test('body altered after signing, or timestamp swapped → 401', async () => {
  const ts = now()
  await assertRefusedAndInert(
    await post({ 'x-webhook-timestamp': ts, 'x-webhook-signature': sig(ts, body) }, body.replace('wire the money', 'wire the money!')),
    refused,
    inert(),
  )
  await assertRefusedAndInert(await post({ 'x-webhook-timestamp': String(Number(ts) - 1), 'x-webhook-signature': sig(ts, body) }), refused, inert())
})

test('a stale (or future) timestamp → 401 stale_timestamp even when correctly signed', async () => {
  for (const ts of [String(Math.floor(Date.now() / 1000) - 360), String(Math.floor(Date.now() / 1000) + 360), '0']) {
    await assertRefusedAndInert(
      await post({ 'x-webhook-timestamp': ts, 'x-webhook-signature': sig(ts, body) }),
      { status: 401, code: 'stale_timestamp' },
      inert(),
    )
  }
  // not a timestamp Linq sends: the signature check refuses it first
  await assertRefusedAndInert(await post({ 'x-webhook-timestamp': '1e9', 'x-webhook-signature': sig('1e9', body) }), refused, inert())
})

test('a correct signature with the optional sha256= prefix is accepted (control)', async () => {
  const ts = now()
  const res = await post({ 'x-webhook-timestamp': ts, 'x-webhook-signature': `sha256=${sig(ts, body)}` })
  assert.equal(res.statusCode, 200)
  await p.api.waitFor(1)
  assert.equal(p.turns.count, 1)
})

test('no signing secret configured → 503 webhook_not_configured and the agent never runs', async () => {
  await withProvider({ plugin: 'linq', options: (url) => ({ api_base_url: url }), api: p.api }, async ({ k: k2, turns: turns2 }) => {
    const before = p.api.requests.length
    const ts = now()
    const res = await k2.inject({
      method: 'POST',
      url: '/linq',
      headers: { 'content-type': 'application/json', 'x-webhook-timestamp': ts, 'x-webhook-signature': sig(ts, body) },
      payload: body,
    })
    await assertRefusedAndInert(res, { status: 503, code: 'webhook_not_configured' }, { turns: turns2, stateDir: k2.stateDir, pluginId: 'linq' })
    assert.equal(p.api.requests.length, before)
  })
})
