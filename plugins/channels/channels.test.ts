import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { ManualClock, startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { startFakeApi, type FakeApi } from '../../test/ingress/fake-api.js'
import { call, waitFor } from '../cron/test-support/http.js'

// GET /api/channels over a real socket: the webhook providers that are enabled, with measured
// status; and a cron job's output delivered through a provider's own send path (WhatsApp Cloud API)
const APP_SECRET = 'wa-app-secret'
const clock = new ManualClock(Date.parse('2026-12-07T10:00:30Z'))
let k: TestKernel
let fake: FakeApi
const api = (method: string, path: string, body?: unknown) => call(k.url!, k.token, method, path, body)
const channels = async () => (await api('GET', '/api/channels')).json.channels as any[]

before(async () => {
  fake = await startFakeApi('ok')
  k = await startTestKernel({
    plugins: ['channels', 'whatsapp', 'wati', 'nextcloud-talk', 'cron', 'agent-runtime'],
    mode: 'daemon',
    clock,
    listen: true,
    env: { REVKA_WATI_WEBHOOK_SECRET: undefined, REVKA_WHATSAPP_APP_SECRET: undefined, REVKA_NEXTCLOUD_TALK_WEBHOOK_SECRET: undefined },
    options: {
      whatsapp: { app_secret: APP_SECRET, verify_token: 'v', access_token: 'wa-access', phone_number_id: '1098', api_base_url: fake.url },
      cron: { poll_ms: 10 },
      'nextcloud-talk': { webhook_secret: 'nc-secret', api_base_url: fake.url },
    },
  })
})
after(async () => {
  await k.stop()
  await fake.close()
})

test("lists the enabled channel plugins with the contract's fields and real status", async () => {
  const list = await channels()
  assert.deepEqual(
    list.map((c) => c.id),
    ['nextcloud_talk', 'wati', 'whatsapp'],
  ) // enabled plugins only, ordered
  const wa = list.find((c) => c.id === 'whatsapp')
  assert.deepEqual(wa, {
    id: 'whatsapp',
    name: 'whatsapp',
    type: 'whatsapp',
    display_name: 'whatsapp',
    plugin: 'whatsapp',
    enabled: true,
    configured: true,
    receiving: true,
    status: 'active',
    health: 'healthy',
    message_count: 0,
    last_message_at: null,
    notify_capable: true,
    notification_target_configured: false,
  })
  const wati = list.find((c) => c.id === 'wati')
  assert.equal(wati.configured, false) // no webhook secret: its route answers 503, so it is down
  assert.equal(wati.status, 'inactive')
  assert.equal(wati.health, 'down')
  assert.equal(wati.notify_capable, false)
  assert.equal((await call(k.url!, null, 'GET', '/api/channels')).status, 401)
})

test("message_count and last_message_at come from the provider's journal", async () => {
  const raw = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'W',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { phone_number_id: '1098' },
              messages: [{ from: '15551234567', id: 'wamid.1', timestamp: '1700000000', type: 'text', text: { body: 'hi' } }],
            },
          },
        ],
      },
    ],
  })
  const res = await fetch(`${k.url}/whatsapp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', APP_SECRET).update(raw).digest('hex')}` },
    body: raw,
  })
  assert.equal(res.status, 200)
  const wa = (await channels()).find((c) => c.id === 'whatsapp')
  assert.equal(wa.message_count, 1)
  // received by the gateway's clock (a manual one here), not the wall clock: this compared Date.now()
  // with 2026-12-07T10:00:30Z and failed once the day passed 10:01
  assert.ok(Math.abs(clock.nowMs - Date.parse(wa.last_message_at)) < 60_000)
  await fake.waitFor(1) // the reply to that message went out
})

test("a cron job's output is delivered through the channel's send path to delivery.to", async () => {
  const before = fake.requests.length
  const r = await api('POST', '/api/cron', {
    schedule: '* * * * *',
    prompt: 'daily digest',
    delivery: { mode: 'announce', channel: 'whatsapp', to: '15550001111', best_effort: false },
  })
  assert.equal(r.status, 200)
  clock.advance(60_000)
  const toUs = () => fake.requests.slice(before).filter((q) => q.json().to === '15550001111')
  const [sent] = await waitFor('the delivery', async () => (toUs().length ? toUs() : undefined))
  assert.equal(sent.url, '/1098/messages')
  assert.equal(sent.headers.authorization, 'Bearer wa-access')
  assert.match(sent.json().text.body, /daily digest/)
  const [run] = await waitFor('the run', async () => {
    const x = (await api('GET', `/api/cron/${r.json.job.id}/runs`)).json.runs
    return x.length ? x : undefined
  })
  assert.equal(run.status, 'ok')
  const unknown = await api('POST', '/api/cron', { schedule: '* * * * *', prompt: 'x', delivery: { mode: 'announce', channel: 'wati', to: '1' } })
  assert.equal(unknown.status, 400) // not configured: it cannot send
  assert.match(unknown.json.error, /unsupported delivery channel 'wati'/)
})

test('a provider whose replies are addressed through replyTo gets `to` where its send looks (Nextcloud Talk: the room token)', async () => {
  const before = fake.requests.length
  const r = await api('POST', '/api/cron', {
    schedule: '* * * * *',
    prompt: 'room news',
    delivery: { mode: 'announce', channel: 'nextcloud_talk', to: 'room42', best_effort: false },
  })
  assert.equal(r.status, 200)
  clock.advance(60_000)
  const toRoom = () => fake.requests.slice(before).filter((q) => q.url.includes('/bot/room42/message'))
  const [sent] = await waitFor('the Talk message', async () => (toRoom().length ? toRoom() : undefined))
  assert.match(sent.json().message, /room news/)
  await api('DELETE', `/api/cron/${r.json.job.id}`)
})
