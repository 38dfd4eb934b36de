/**
 * A valid push: 200 {status:"ok"} at once, the turn runs in the background and its reply is
 * forwarded to the configured endpoint; a Pub/Sub redelivery (same messageId) runs nothing; a crash
 * after the 200 loses nothing.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { journal, waitUntil } from '../../test/ingress/support.js'
import { crashThenRestart } from '../../test/ingress/crash-scenario.js'
import { withProvider } from '../../test/ingress/provider-fixture.js'
import { assertSettled } from '../../test/ingress/settled-turns.js'

const SECRET = 'gmail-push-secret-for-tests'
const envelope = (id: string, historyId: string) =>
  JSON.stringify({
    message: {
      data: Buffer.from(JSON.stringify({ emailAddress: 'me@example.com', historyId })).toString('base64'),
      messageId: id,
      publishTime: '2026-01-01T00:00:00Z',
    },
    subscription: 'projects/p/subscriptions/gmail-push',
  })
const headers = { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` }

test('a valid push is acknowledged at once; the reply is forwarded; a redelivery runs nothing', async () => {
  await withProvider(
    { plugin: 'gmail-push', options: (url) => ({ webhook_secret: SECRET, api_base_url: `${url}/gmail-replies`, api_token: 'fwd-token' }) },
    async ({ k, api, turns }) => {
      const raw = envelope('ps-1', '4242')
      const t0 = Date.now()
      const res = await k.inject({ method: 'POST', url: '/webhook/gmail', headers, payload: raw })
      assert.equal(res.statusCode, 200)
      assert.equal(res.json().status, 'ok')
      assert.ok(Date.now() - t0 < 1000)
      const [sent] = await api.waitFor(1)
      assert.equal(sent.url, '/gmail-replies')
      assert.equal(sent.headers.authorization, 'Bearer fwd-token')
      const b = sent.json()
      assert.deepEqual(
        { channel: b.channel, email: b.email_address, history: b.history_id, id: b.message_id },
        { channel: 'gmail', email: 'me@example.com', history: '4242', id: 'ps-1' },
      )
      assert.match(b.reply, /history id 4242/)

      const again = await k.inject({ method: 'POST', url: '/webhook/gmail', headers, payload: raw })
      assert.equal(again.json().status, 'duplicate')
      await assertSettled({ turns, api }, { turns: 1, apiRequests: 1 }, 300)
    },
  )
})

test('without a forwarding endpoint the turn still runs and the push is acknowledged', async () => {
  // the fixture's fake API is started but never configured: there is nowhere to forward to
  await withProvider({ plugin: 'gmail-push', options: () => ({ webhook_secret: SECRET }) }, async ({ k, turns }) => {
    const res = await k.inject({ method: 'POST', url: '/webhook/gmail', headers, payload: envelope('ps-2', '1') })
    assert.equal(res.statusCode, 200)
    await waitUntil(() => turns.count === 1, 'the background turn')
    await waitUntil(() => journal(k.stateDir, 'gmail-push', 'gmail').some((r) => r.op === 'done' && r.ok), 'the delivery to finish')
  })
})

test('crash safety: SIGKILL after the 200 while the endpoint hangs; the restarted gateway forwards the reply', async () => {
  await crashThenRestart({
    plugin: 'gmail-push',
    channel: 'gmail',
    path: '/webhook/gmail',
    headers,
    body: envelope('ps-crash', '777'),
    options: (url) => ({ webhook_secret: SECRET, api_base_url: `${url}/gmail-replies` }),
    check(resent) {
      assert.equal(resent.json().message_id, 'ps-crash')
      assert.match(resent.json().reply, /history id 777/)
    },
  })
})
