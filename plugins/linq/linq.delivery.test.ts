/**
 * A signed Linq delivery: 200 at once, the reply reaches the Partner API off the request path, a
 * replay inside the timestamp window is de-duplicated, and a crash mid-delivery loses nothing.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { crashThenRestart } from '../../test/ingress/crash-scenario.js'
import { withProvider } from '../../test/ingress/provider-fixture.js'
import { assertAcknowledgedNotQueued, assertSettled } from '../../test/ingress/settled-turns.js'

const SECRET = 'linq-signing-secret-for-tests'
// the v3 payload shape
const delivery = (id: string, text: string) =>
  JSON.stringify({
    event_type: 'message.received',
    event_id: `evt_${id}`,
    data: {
      id,
      direction: 'inbound',
      chat: { id: 'chat-42', is_group: false },
      sender_handle: { handle: '+15551230000', is_me: false },
      parts: [{ type: 'text', value: text }],
    },
  })
const headers = (raw: string) => {
  const ts = String(Math.floor(Date.now() / 1000))
  return {
    'content-type': 'application/json',
    'x-webhook-timestamp': ts,
    'x-webhook-signature': createHmac('sha256', SECRET).update(`${ts}.${raw}`).digest('hex'),
  }
}

test('a valid delivery is answered at once and the reply is posted to the chat; a replay runs nothing', async () => {
  await withProvider(
    { plugin: 'linq', options: (url) => ({ signing_secret: SECRET, api_token: 'linq-token', api_base_url: url }) },
    async ({ k, api, turns }) => {
      const raw = delivery('msg-1', 'hello over imessage')
      const t0 = Date.now()
      const res = await k.inject({ method: 'POST', url: '/linq', headers: headers(raw), payload: raw })
      assert.equal(res.statusCode, 200)
      assert.ok(Date.now() - t0 < 1000)
      const [sent] = await api.waitFor(1)
      assert.equal(sent.url, '/chats/chat-42/messages')
      assert.equal(sent.headers.authorization, 'Bearer linq-token')
      const part = sent.json().message.parts[0]
      assert.equal(part.type, 'text')
      assert.match(part.value, /hello over imessage/)

      // the same delivery re-signed with a fresh timestamp (a provider retry, or a replay): de-duplicated
      const again = await k.inject({ method: 'POST', url: '/linq', headers: headers(raw), payload: raw })
      assert.equal(again.json().status, 'duplicate')
      await assertSettled({ turns, api }, { turns: 1, apiRequests: 1 }, 300)
    },
  )
})

test('our own outgoing messages and other events are acknowledged without a turn', async () => {
  await withProvider({ plugin: 'linq', options: (url) => ({ signing_secret: SECRET, api_base_url: url }) }, async ({ k, api, turns }) => {
    for (const raw of [
      JSON.stringify({
        event_type: 'message.received',
        data: { chat_id: 'c', from: '+1555', is_from_me: true, message: { id: 'm', parts: [{ type: 'text', value: 'echo' }] } },
      }),
      JSON.stringify({ event_type: 'message.delivered', data: { chat_id: 'c', message: { id: 'm2' } } }),
    ]) {
      assertAcknowledgedNotQueued(await k.inject({ method: 'POST', url: '/linq', headers: headers(raw), payload: raw }))
    }
    await assertSettled({ turns, api }, { turns: 0, apiRequests: 0 }, 150)
  })
})

test('crash safety: SIGKILL after the 200 while the Partner API hangs; the restarted gateway sends the reply', async () => {
  const raw = delivery('msg-crash', 'do not lose me')
  await crashThenRestart({
    plugin: 'linq',
    path: '/linq',
    headers: headers(raw),
    body: raw,
    options: (url) => ({ signing_secret: SECRET, api_token: 'linq-token', api_base_url: url }),
    check(resent) {
      assert.equal(resent.url, '/chats/chat-42/messages')
      assert.match(resent.json().message.parts[0].value, /do not lose me/)
    },
  })
})
