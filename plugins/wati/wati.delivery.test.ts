/**
 * A WATI delivery with the right secret: 200 at once, the reply reaches WATI's session-message API,
 * a replay (same whatsappMessageId, or the same bytes when there is no id) runs nothing, and a crash after
 * the 200 loses nothing.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { crashThenRestart } from '../../test/ingress/crash-scenario.js'
import { withProvider } from '../../test/ingress/provider-fixture.js'
import { assertAcknowledgedNotQueued, assertSettled } from '../../test/ingress/settled-turns.js'
import { chunks } from './send.js'

const SECRET = 'wati-shared-secret-for-tests'
const delivery = (id: string, text: string) =>
  JSON.stringify({
    id: `w-${id}`,
    whatsappMessageId: id,
    conversationId: 'conv-1',
    eventType: 'message',
    type: 'text',
    text,
    waId: '15557654321',
    senderName: 'Bo',
    owner: false,
  })
const headers = { 'content-type': 'application/json', 'x-revka-webhook-secret': SECRET }
const textOf = (url: string) => new URL(url, 'http://x').searchParams.get('messageText') ?? ''

test('a valid delivery is acknowledged, the reply is posted to sendSessionMessage; replays run nothing', async () => {
  await withProvider(
    { plugin: 'wati', options: (url) => ({ webhook_secret: SECRET, api_token: 'wati-token', api_base_url: `${url}/123456` }) },
    async ({ k, api, turns }) => {
      const raw = delivery('wamid.ONE', 'hello wati')
      const t0 = Date.now()
      const res = await k.inject({ method: 'POST', url: '/wati', headers, payload: raw })
      assert.equal(res.statusCode, 200)
      assert.ok(Date.now() - t0 < 1000)
      const [sent] = await api.waitFor(1)
      assert.equal(sent.method, 'POST')
      assert.match(sent.url, /^\/123456\/api\/v1\/sendSessionMessage\/15557654321\?messageText=/)
      assert.equal(sent.headers.authorization, 'Bearer wati-token')
      assert.match(textOf(sent.url), /hello wati/)

      const dup = await k.inject({ method: 'POST', url: '/wati', headers, payload: raw })
      assert.equal(dup.json().status, 'duplicate')
      // a delivery without a message id is de-duplicated by its body: the unsigned X-Idempotency-Key
      // header is not honoured for WATI, so a new value buys a replay nothing
      const noId = JSON.stringify({ eventType: 'message', type: 'text', text: 'keyed', waId: '15557654321' })
      const first = await k.inject({ method: 'POST', url: '/wati', headers: { ...headers, 'x-idempotency-key': 'k-1' }, payload: noId })
      const second = await k.inject({ method: 'POST', url: '/wati', headers: { ...headers, 'x-idempotency-key': 'k-2' }, payload: noId })
      assert.equal(first.json().status, 'ok')
      assert.deepEqual(second.json(), { status: 'duplicate', idempotent: true, message: second.json().message })
      await api.waitFor(2)
      await assertSettled({ turns, api }, { turns: 2, apiRequests: 2 }, 300)
    },
  )
})

test('messages the business sent (owner: true) and non-text messages start no turn', async () => {
  await withProvider({ plugin: 'wati', options: (url) => ({ webhook_secret: SECRET, api_base_url: url }) }, async ({ k, turns }) => {
    for (const raw of [
      JSON.stringify({ eventType: 'message', type: 'text', text: 'our own reply', waId: '15557654321', owner: true }),
      JSON.stringify({ eventType: 'message', type: 'image', data: 'https://x/img.jpg', waId: '15557654321' }),
      JSON.stringify({ eventType: 'templateMessageSent', waId: '15557654321' }),
    ]) {
      assertAcknowledgedNotQueued(await k.inject({ method: 'POST', url: '/wati', headers, payload: raw }))
    }
    await assertSettled({ turns }, { turns: 0 }, 150)
  })
})

test('long replies are split so the URL stays short, never inside an emoji', () => {
  const text = `${'word '.repeat(400)}${'😀'.repeat(500)}`
  const parts = chunks(text, 800)
  assert.ok(parts.length > 1)
  for (const p of parts) {
    assert.ok(p.length <= 800)
    assert.doesNotThrow(() => encodeURIComponent(p))
  }
  assert.equal(parts.join('').replace(/\s+/g, ''), text.replace(/\s+/g, ''))
})

test('crash safety: SIGKILL after the 200 while WATI hangs; the restarted gateway sends the reply', async () => {
  await crashThenRestart({
    plugin: 'wati',
    path: '/wati',
    headers,
    body: delivery('wamid.CRASH', 'still here after a crash'),
    options: (url) => ({ webhook_secret: SECRET, api_token: 'wati-token', api_base_url: url }),
    check(resent) {
      assert.match(textOf(resent.url), /still here after a crash/)
    },
  })
})
