/**
 * When the Cloud API is down or hangs, the reply is not lost and the agent is not asked twice: the
 * journalled reply is retried with backoff, a graceful stop does not wait for the hung send, and the
 * next start sends what the last one could not.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { startTestKernel } from '@revka/plugin-testing'
import { countTurns, journal, startFakeApi, tempStateDir, waitUntil } from '../../test/ingress/support.js'
import { withProvider } from '../../test/ingress/provider-fixture.js'
import { APP_SECRET, signedHeaders } from './test-support/cloud-api.js'

const delivery = (id: string, text: string) =>
  JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ changes: [{ value: { metadata: { phone_number_id: '1098' }, messages: [{ from: '15551234567', id, type: 'text', text: { body: text } }] } }] }],
  })
const headers = signedHeaders

test('the Cloud API answers 503: the same reply is retried with backoff and the agent runs once', async () => {
  await withProvider(
    { plugin: 'whatsapp', apiMode: 'down', options: (url) => ({ app_secret: APP_SECRET, access_token: 't', api_base_url: url }) },
    async ({ k, api, turns }) => {
      const raw = delivery('wamid.RETRY', 'try again later')
      assert.equal((await k.inject({ method: 'POST', url: '/whatsapp', headers: headers(raw), payload: raw })).statusCode, 200)
      await api.waitFor(1)
      api.mode = 'ok'
      const [failed, delivered] = await api.waitFor(2, 15_000)
      assert.equal(delivered.json().text.body, failed.json().text.body)
      assert.match(delivered.json().text.body, /try again later/)
      await waitUntil(() => journal(k.stateDir, 'whatsapp').some((r) => r.op === 'done' && r.ok), 'the delivery to finish')
      assert.equal(turns.count, 1, 'a failed send is retried without a second turn')
    },
  )
})

test('a graceful stop does not wait for a hung send; the next start sends the journalled reply', async () => {
  const api = await startFakeApi('hang')
  const stateDir = tempStateDir()
  const options = { whatsapp: { app_secret: APP_SECRET, access_token: 't', api_base_url: api.url } }
  try {
    const k = await startTestKernel({ plugins: ['whatsapp', 'agent-runtime'], options, stateDir })
    const raw = delivery('wamid.STOP', 'across a restart')
    assert.equal((await k.inject({ method: 'POST', url: '/whatsapp', headers: headers(raw), payload: raw })).statusCode, 200)
    await api.waitFor(1)
    const t0 = Date.now()
    await k.stop()
    assert.ok(Date.now() - t0 < 5000, `stop took ${Date.now() - t0} ms`)
    assert.ok(!journal(stateDir, 'whatsapp').some((r) => r.op === 'done'), 'still pending after the stop')

    api.mode = 'ok'
    const k2 = await startTestKernel({ plugins: ['whatsapp', 'agent-runtime'], options, stateDir })
    const turns = countTurns(k2)
    try {
      const [, resent] = await api.waitFor(2)
      assert.match(resent.json().text.body, /across a restart/)
      await waitUntil(() => journal(stateDir, 'whatsapp').some((r) => r.op === 'done' && r.ok), 'the delivery to finish')
      assert.equal(turns.count, 0, 'the reply came from the journal, not from a new turn')
      // a provider retry of the same message after the restart is still recognised
      const dup = await k2.inject({ method: 'POST', url: '/whatsapp', headers: headers(raw), payload: raw })
      assert.equal(dup.json().status, 'duplicate')
    } finally {
      turns.stop()
      await k2.stop()
    }
  } finally {
    await api.close()
    rmSync(stateDir, { recursive: true, force: true })
  }
})
