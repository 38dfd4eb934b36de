/**
 * A signed delivery is answered at once, the turn runs off the request path with the real agent
 * runtime, and the reply reaches the Cloud API; a replay is de-duplicated; a crash between the 200
 * and the reply loses nothing.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { journal } from '../../test/ingress/support.js'
import { crashThenRestart } from '../../test/ingress/crash-scenario.js'
import { withProvider } from '../../test/ingress/provider-fixture.js'
import { assertAcknowledgedNotQueued, assertSettled } from '../../test/ingress/settled-turns.js'
import { APP_SECRET, signedHeaders, textDelivery } from './test-support/cloud-api.js'

const delivery = (id: string, text: string) => textDelivery(id, text, { contact: true })
const headers = signedHeaders

test('a valid delivery: 200 at once, then the agent reply is posted to the Cloud API; a replay runs nothing', async () => {
  await withProvider(
    { plugin: 'whatsapp', options: (url) => ({ app_secret: APP_SECRET, access_token: 'wa-access', api_base_url: url }) },
    async ({ k, api, turns }) => {
      const raw = delivery('wamid.ONE', 'hello from whatsapp')
      const t0 = Date.now()
      const res = await k.inject({ method: 'POST', url: '/whatsapp', headers: headers(raw), payload: raw })
      assert.equal(res.statusCode, 200)
      assert.equal(res.json().status, 'ok')
      assert.ok(Date.now() - t0 < 1000, 'acknowledged before the turn finishes')

      const [sent] = await api.waitFor(1)
      assert.equal(sent.method, 'POST')
      assert.equal(sent.url, '/1098/messages')
      assert.equal(sent.headers.authorization, 'Bearer wa-access')
      const b = sent.json()
      assert.equal(b.messaging_product, 'whatsapp')
      assert.equal(b.to, '15551234567')
      assert.equal(b.type, 'text')
      assert.match(b.text.body, /hello from whatsapp/)
      assert.equal(turns.count, 1)

      // Meta retries the same delivery: acknowledged as a duplicate, the agent does not run again
      const again = await k.inject({ method: 'POST', url: '/whatsapp', headers: headers(raw), payload: raw })
      assert.equal(again.statusCode, 200)
      assert.deepEqual({ status: again.json().status, idempotent: again.json().idempotent }, { status: 'duplicate', idempotent: true })
      await assertSettled({ turns, api }, { turns: 1, apiRequests: 1 }, 300)
    },
  )
})

test('status-only deliveries are acknowledged without a turn', async () => {
  await withProvider({ plugin: 'whatsapp', options: (url) => ({ app_secret: APP_SECRET, api_base_url: url }) }, async ({ k, api, turns }) => {
    const raw = JSON.stringify({ object: 'whatsapp_business_account', entry: [{ changes: [{ value: { statuses: [{ id: 'wamid.X', status: 'read' }] } }] }] })
    assertAcknowledgedNotQueued(await k.inject({ method: 'POST', url: '/whatsapp', headers: headers(raw), payload: raw }))
    const bad = await k.inject({ method: 'POST', url: '/whatsapp', headers: headers('{"entry":1}'), payload: '{"entry":1}' })
    assert.equal(bad.statusCode, 400)
    assert.equal(bad.json().code, 'invalid_payload')
    await assertSettled({ turns, api }, { turns: 0, apiRequests: 0 }, 150)
  })
})

test('crash safety: SIGKILL while the reply is in flight, restart on the same state dir, the reply still goes out', async () => {
  const raw = delivery('wamid.CRASH', 'survive the crash')
  await crashThenRestart({
    plugin: 'whatsapp',
    path: '/whatsapp',
    headers: headers(raw),
    body: raw,
    options: (url) => ({ app_secret: APP_SECRET, access_token: 'wa-access', api_base_url: url }),
    afterKill(stateDir) {
      assert.ok(
        journal(stateDir, 'whatsapp').some((r) => r.op === 'reply'),
        'the reply was journalled before the send',
      )
    },
    check(resent, first) {
      assert.equal(resent.url, '/1098/messages')
      assert.match(resent.json().text.body, /survive the crash/)
      assert.equal(resent.json().text.body, first.json().text.body, 'the journalled reply is sent, not a new turn')
    },
  })
})
