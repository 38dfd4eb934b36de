/**
 * Attacks on POST /webhook/gmail: the push secret is a bearer the kernel must not confuse with a
 * device token (and vice versa); near misses are refused with no trace; the 1 MiB cap is real.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { assertRefusedAndInert, rawRequest } from '../../test/ingress/support.js'
import { providerForFile, withProvider } from '../../test/ingress/provider-fixture.js'
import { assertSettled } from '../../test/ingress/settled-turns.js'

const SECRET = 'gmail-push-secret-for-tests'
const envelope = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    message: {
      data: Buffer.from(JSON.stringify({ emailAddress: 'me@example.com', historyId: '98765' })).toString('base64'),
      messageId: id,
      publishTime: '2026-01-01T00:00:00Z',
    },
    subscription: 'projects/p/subscriptions/gmail-push',
    ...extra,
  })
const body = envelope('ps-attack')

const p = providerForFile({ plugin: 'gmail-push', options: (url) => ({ webhook_secret: SECRET, api_base_url: `${url}/gmail-replies` }) })

const post = (headers: Record<string, string>, payload: string | Buffer = body) =>
  p.k.inject({ method: 'POST', url: '/webhook/gmail', headers: { 'content-type': 'application/json', ...headers }, payload })
const inert = () => ({ turns: p.turns, api: p.api, stateDir: p.k.stateDir, pluginId: 'gmail-push', channel: 'gmail' })
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
  await assertRefusedAndInert(await post({ authorization: `Bearer ${p.k.token}` }), refused, inert())
  await assertRefusedAndInert(await post({ 'x-revka-service-token': p.k.serviceToken }), refused, inert())
})

test('an envelope that is not Pub/Sub → 400, and nothing runs', async () => {
  for (const bad of [
    '{}',
    '{"message":{"data":"!!!","messageId":"1"}}',
    JSON.stringify({ message: { data: Buffer.from('{"x":1}').toString('base64'), messageId: '1' } }),
  ]) {
    const res = await post({ authorization: `Bearer ${SECRET}` }, bad)
    assert.equal(res.statusCode, 400, bad)
    assert.equal(res.json().code, 'invalid_payload')
  }
  await assertSettled({ turns: p.turns }, { turns: 0 }, 100)
})

test('1 MiB body cap: a 1 MiB envelope is accepted, one byte over is 413 before verification', async () => {
  const pad = (n: number) => {
    const e = envelope(`ps-big-${n}`, { pad: '' })
    return envelope(`ps-big-${n}`, { pad: 'x'.repeat(n - Buffer.byteLength(e)) })
  }
  const atLimit = pad(1024 * 1024)
  assert.equal(Buffer.byteLength(atLimit), 1024 * 1024)
  const ok = await rawRequest(p.k.url!, {
    method: 'POST',
    path: '/webhook/gmail',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
    body: atLimit,
  })
  assert.equal(ok.status, 200)
  const over = await rawRequest(p.k.url!, {
    method: 'POST',
    path: '/webhook/gmail',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
    body: pad(1024 * 1024 + 1),
  })
  assert.equal(over.status, 413)
  assert.equal(over.json().code, 'payload_too_large')
})

test('no push secret configured → 503 webhook_not_configured, even with a valid device bearer', async () => {
  // no options at all for the plugin: nothing configured, not even an endpoint
  await withProvider({ plugin: 'gmail-push', api: p.api }, async ({ k: k2, turns: turns2 }) => {
    const res = await k2.inject({
      method: 'POST',
      url: '/webhook/gmail',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${k2.token}` },
      payload: body,
    })
    await assertRefusedAndInert(
      res,
      { status: 503, code: 'webhook_not_configured' },
      { turns: turns2, stateDir: k2.stateDir, pluginId: 'gmail-push', channel: 'gmail' },
    )
  })
})
