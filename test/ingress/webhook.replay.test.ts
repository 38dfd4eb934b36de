/**
 * The replay attack on a signed webhook (issue 16): a delivery captured on the wire — valid
 * signature, fresh timestamp — is sent again inside the de-duplication window with a new, unsigned
 * `X-Idempotency-Key`. The provider's own signed key (Linq's message id) must win: the replay is
 * acknowledged as a duplicate and no second agent turn runs, no second reply is posted.
 * Over real sockets, against the built-in linq plugin.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { providerForFile } from './provider-fixture.js'
import { assertSettled } from './settled-turns.js'

const SECRET = 'linq-signing-secret-for-replay'
const body = JSON.stringify({
  event_type: 'message.received',
  event_id: 'evt_replay',
  data: {
    chat_id: 'chat-9',
    from: '+15550001111',
    is_from_me: false,
    message: { id: 'msg-replay-1', parts: [{ type: 'text', value: 'transfer 100 to Bob' }] },
  },
})

const p = providerForFile({ plugin: 'linq', options: (url) => ({ signing_secret: SECRET, api_token: 'linq-token', api_base_url: url }) })

async function send(headers: Record<string, string>): Promise<{ status: number; json: any }> {
  const url = await p.k.listen()
  const res = await fetch(`${url}/linq`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
  return { status: res.status, json: await res.json() }
}

test('a captured signed delivery re-sent with a new X-Idempotency-Key runs no second turn', async () => {
  const ts = String(Math.floor(Date.now() / 1000))
  const signed = { 'x-webhook-timestamp': ts, 'x-webhook-signature': createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex') }
  const first = await send({ ...signed, 'x-idempotency-key': 'original' })
  assert.equal(first.status, 200)
  assert.equal(first.json.status, 'ok')
  await p.api.waitFor(1)

  for (const key of ['attacker-1', 'attacker-2', '']) {
    const replay = await send(key ? { ...signed, 'x-idempotency-key': key } : signed)
    assert.equal(replay.status, 200)
    assert.equal(replay.json.status, 'duplicate', `replay with X-Idempotency-Key "${key}" must be a duplicate`)
  }
  await assertSettled({ turns: p.turns, api: p.api }, { turns: 1, apiRequests: 1 }, 300)
})
