/**
 * Issue 18, "exactly one": a webhook delivery acknowledged by node A, with A SIGKILLed at once,
 * is processed by node B exactly once. The example Telegram provider (which lists `webhook-queue`)
 * runs on both nodes against one stand-in Bot API. The stand-in holds A's send open, so A has run
 * the turn, saved the reply in the shared queue and is mid-send when it dies; B takes the delivery
 * when A's lease runs out and sends the saved reply. What a user would notice: the reply arrives
 * (once from B), and nothing is sent again afterwards.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { ROOT } from '../reliability/support/builtins.js'
import { killAllChildren } from '../reliability/support/gateway-child.js'
import { startFakeApi } from '../ingress/fake-api.js'
import { engines, json, startNode, until } from './support.js'

const SECRET = 'cluster-telegram-secret'
const LEASE_MS = 2000

after(async () => {
  await killAllChildren()
})

test('a webhook delivered to A, with A SIGKILLed at once, is processed by B exactly once', async () => {
  const api = await startFakeApi('hang')
  try {
    const node = (id: string) =>
      startNode(id, {
        paths: [join(ROOT, 'examples', 'webhook-telegram')],
        plugins: { 'webhook-telegram': { secret: SECRET, bot_token: '123:ABC', api_base_url: api.url } },
        cluster: `webhook_lease_ms = ${LEASE_MS}\n`,
      })
    const A = await node('wh-a')
    const B = await node('wh-b')
    const updateId = Date.now() % 1_000_000_000
    const marker = `hello from the cluster ${updateId}`
    const ofMarker = `SELECT leased_by, ok, attempts, done_at FROM revka_webhook_deliveries WHERE message::text LIKE '%' || $1 || '%'`
    const body = JSON.stringify({
      update_id: updateId,
      message: { message_id: updateId, text: marker, chat: { id: 777, type: 'private' }, from: { id: 42, is_bot: false } },
    })
    const headers = { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET }
    const r = await json(`${A.url}/webhook/telegram`, { method: 'POST', headers, body })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.body.queued, 1)
    // A ran the turn and its send is in flight (the stand-in holds it): kill A now
    const [first] = await api.waitFor(1)
    await A.kill9()
    api.mode = 'ok'

    // B takes the delivery once A's lease has run out, and sends the reply A saved
    const [, resent] = await api.waitFor(2, LEASE_MS * 5)
    assert.equal(resent.url, first.url)
    assert.deepEqual(resent.json(), first.json(), 'B sent the reply A had saved, without a second turn')
    // the same update redelivered to B (a provider retry) is a duplicate: nothing is queued again
    const again = await json(`${B.url}/webhook/telegram`, { method: 'POST', headers, body })
    assert.equal(again.status, 200)
    assert.equal(again.body.status, 'duplicate')

    // the shared queue shows it finished once, by B; no further send within two more leases
    const require = createRequire(import.meta.url)
    const { Client } = require('pg')
    const db = new Client({ connectionString: engines().pg })
    await db.connect()
    try {
      await until('the delivery is finished', async () => {
        const q = await db.query(ofMarker, [marker])
        return q.rows.length === 1 && q.rows[0].done_at !== null
      })
      const row = (await db.query(ofMarker, [marker])).rows
      assert.equal(row.length, 1, 'one delivery queued')
      assert.equal(row[0].leased_by, 'wh-b')
      assert.equal(row[0].ok, true)
      assert.equal(row[0].attempts, 2, "A's attempt, then B's")
    } finally {
      await db.end()
    }
    await new Promise((r) => setTimeout(r, LEASE_MS * 2))
    assert.equal(api.requests.length, 2, 'nothing was sent after B finished')
  } finally {
    await api.close()
  }
})
