/**
 * A signed Talk delivery: 200 at once, the bot's reply is posted to the room, signed over
 * random + message so Nextcloud accepts it; a replay runs nothing; a crash loses nothing.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac, randomBytes } from 'node:crypto'
import { crashThenRestart } from '../../test/ingress/crash-scenario.js'
import { withProvider } from '../../test/ingress/provider-fixture.js'
import { assertSettled } from '../../test/ingress/settled-turns.js'

const SECRET = 'talk-bot-secret-for-tests-0123456789'
const delivery = (id: number, text: string, actorType = 'Person') =>
  JSON.stringify({
    type: 'Create',
    actor: { type: actorType, id: 'users/alice', name: 'Alice' },
    object: { type: 'Note', id: String(id), name: 'message', content: JSON.stringify({ message: text, parameters: {} }), mediaType: 'text/markdown' },
    target: { type: 'Collection', id: 'n3xtr00m', name: 'Team' },
  })
const headers = (raw: string) => {
  const random = randomBytes(32).toString('hex')
  return {
    'content-type': 'application/json',
    'x-nextcloud-talk-random': random,
    'x-nextcloud-talk-signature': createHmac('sha256', SECRET)
      .update(random + raw)
      .digest('hex'),
  }
}

test('a valid delivery: 200, then a signed bot reply to the room; a replay runs nothing', async () => {
  await withProvider({ plugin: 'nextcloud-talk', options: (url) => ({ webhook_secret: SECRET, api_base_url: url }) }, async ({ k, api, turns }) => {
    const raw = delivery(1001, 'hello talk')
    const t0 = Date.now()
    const res = await k.inject({ method: 'POST', url: '/nextcloud-talk', headers: headers(raw), payload: raw })
    assert.equal(res.statusCode, 200)
    assert.ok(Date.now() - t0 < 1000)
    const [sent] = await api.waitFor(1)
    assert.equal(sent.url, '/ocs/v2.php/apps/spreed/api/v1/bot/n3xtr00m/message')
    assert.equal(sent.headers['ocs-apirequest'], 'true')
    const b = sent.json()
    assert.match(b.message, /hello talk/)
    assert.equal(b.replyTo, 1001)
    assert.match(b.referenceId, /^[0-9a-f]{64}$/)
    const random = String(sent.headers['x-nextcloud-talk-bot-random'])
    assert.equal(
      sent.headers['x-nextcloud-talk-bot-signature'],
      createHmac('sha256', SECRET)
        .update(random + b.message)
        .digest('hex'),
    )

    const again = await k.inject({ method: 'POST', url: '/nextcloud-talk', headers: headers(raw), payload: raw })
    assert.equal(again.json().status, 'duplicate')
    // another bot's message in the room: acknowledged, never answered
    const bot = delivery(1002, 'beep', 'Application')
    assert.equal((await k.inject({ method: 'POST', url: '/nextcloud-talk', headers: headers(bot), payload: bot })).json().queued, 0)
    await assertSettled({ turns, api }, { turns: 1, apiRequests: 1 }, 300)
  })
})

test('crash safety: SIGKILL after the 200 while Nextcloud hangs; the restarted gateway posts the reply', async () => {
  const raw = delivery(2001, 'remember me')
  await crashThenRestart({
    plugin: 'nextcloud-talk',
    channel: 'nextcloud_talk',
    path: '/nextcloud-talk',
    headers: headers(raw),
    body: raw,
    options: (url) => ({ webhook_secret: SECRET, api_base_url: url }),
    check(resent, first) {
      assert.match(resent.json().message, /remember me/)
      assert.equal(resent.json().referenceId, first.json().referenceId, 'the retried send carries the same referenceId')
    },
  })
})
