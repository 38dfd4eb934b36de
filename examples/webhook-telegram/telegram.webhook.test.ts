/**
 * The example plugin through @revka/plugin-testing, as its author would test it: loaded from its
 * folder via `paths`, with the real agent runtime and a local stand-in for the Bot API.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'

const here = dirname(fileURLToPath(import.meta.url))
const SECRET = 'tg-secret-token'
const posted: Array<{ url: string; body: any }> = []
let botApi: Server
let k: TestKernel
/** agent turns so far, from the harness's event sink */
const turns = () => k.events.ofType('agent_start').length

before(async () => {
  botApi = createServer((req, res) => {
    let raw = ''
    req.on('data', (c) => (raw += c))
    req.on('end', () => {
      posted.push({ url: req.url ?? '', body: JSON.parse(raw) })
      res.setHeader('content-type', 'application/json')
      res.end('{"ok":true,"result":{}}')
    })
  })
  await new Promise<void>((r) => botApi.listen(0, '127.0.0.1', r))
  const apiBase = `http://127.0.0.1:${(botApi.address() as AddressInfo).port}`
  k = await startTestKernel({
    plugins: ['agent-runtime'],
    paths: [here],
    options: { 'webhook-telegram': { secret: SECRET, bot_token: '123:ABC', api_base_url: apiBase } },
  })
})
after(async () => {
  // the stand-in closes even when the kernel never started: an open server would keep the test alive
  botApi.closeAllConnections()
  await new Promise<void>((r) => botApi.close(() => r()))
  await k?.stop()
})

const update = (id: number, text: string) =>
  JSON.stringify({
    update_id: id,
    message: { message_id: 50 + id, text, chat: { id: 777, type: 'private' }, from: { id: 42, is_bot: false } },
  })
const post = (body: string, headers: Record<string, string> = {}) =>
  k.inject({ method: 'POST', url: '/webhook/telegram', headers: { 'content-type': 'application/json', ...headers }, payload: body })
const until = async (pred: () => boolean) => {
  for (let i = 0; i < 250 && !pred(); i++) await new Promise((r) => setTimeout(r, 20))
  assert.ok(pred(), 'timed out')
}

test('a missing or wrong secret token → 401, and the agent never runs', async () => {
  const attempts: Array<Record<string, string>> = [{}, { 'x-telegram-bot-api-secret-token': 'wrong' }, { 'x-telegram-bot-api-secret-token': SECRET.slice(1) }]
  for (const headers of attempts) {
    const res = await post(update(1, 'hi'), headers)
    assert.equal(res.statusCode, 401)
    assert.equal(res.json().code, 'invalid_signature')
  }
  await new Promise((r) => setTimeout(r, 100))
  assert.equal(turns(), 0)
  assert.equal(posted.length, 0)
})

test('a valid update: 200 at once, the reply goes to sendMessage; a redelivery runs nothing', async () => {
  const res = await post(update(2, 'hello bot'), { 'x-telegram-bot-api-secret-token': SECRET })
  assert.equal(res.statusCode, 200)
  await until(() => posted.length === 1)
  assert.equal(posted[0].url, '/bot123:ABC/sendMessage')
  assert.equal(posted[0].body.chat_id, 777)
  assert.equal(posted[0].body.reply_parameters.message_id, 52)
  assert.match(posted[0].body.text, /hello bot/)
  const again = await post(update(2, 'hello bot'), { 'x-telegram-bot-api-secret-token': SECRET })
  assert.equal(again.json().status, 'duplicate')
  await new Promise((r) => setTimeout(r, 200))
  assert.equal(turns(), 1)
  assert.equal(posted.length, 1)
})

test('without a secret the route fails closed: 503 webhook_not_configured', async () => {
  const k2 = await startTestKernel({ plugins: ['agent-runtime'], paths: [here] })
  try {
    const res = await k2.inject({ method: 'POST', url: '/webhook/telegram', headers: { 'content-type': 'application/json' }, payload: update(3, 'x') })
    assert.equal(res.statusCode, 503)
    assert.equal(res.json().code, 'webhook_not_configured')
  } finally {
    await k2.stop()
  }
})
