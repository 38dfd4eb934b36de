import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { TestKernel } from '@revka/plugin-testing'
import { openChat, startChatKernel } from './test-support/chat-client.js'

let k: TestKernel
before(async () => {
  k = await startChatKernel({ plugins: ['chat', 'pairing'] })
})
after(async () => {
  await k.stop()
})

for (const placement of ['header', 'subprotocol', 'query'] as const) {
  test(`the token is accepted from the ${placement}, and revka.v1 is the selected subprotocol`, async () => {
    const c = await openChat(k, { placement })
    try {
      assert.equal(c.ws.protocol, 'revka.v1')
      assert.equal((await c.next()).type, 'session_start')
    } finally {
      await c.close()
    }
  })
}

test('an upgrade that does not offer revka.v1 is refused before any frame', async () => {
  await assert.rejects(openChat(k, { protocols: ['something.else'] }), (e: any) => e.statusCode === 400)
  await assert.rejects(openChat(k, { protocols: [`bearer.${k.token}`], placement: 'subprotocol' }), (e: any) => e.statusCode === 400)
})

test('no token or a wrong token gets 401 and no socket', async () => {
  await assert.rejects(openChat(k, { token: 'not-a-token', placement: 'query' }), (e: any) => e.statusCode === 401)
  await assert.rejects(openChat(k, { token: 'not-a-token' }), (e: any) => e.statusCode === 401)
})

test('a cross-site Origin is refused', async () => {
  const WebSocket = (await import('ws')).default
  const ws = new WebSocket(`${k.url!.replace(/^http/, 'ws')}/ws/chat`, ['revka.v1'], {
    headers: { authorization: `Bearer ${k.token}`, origin: 'https://evil.example' },
  })
  const status = await new Promise<number>((resolve) => {
    ws.once('unexpected-response', (_req, res) => {
      res.resume()
      resolve(res.statusCode!)
    })
    ws.once('open', () => resolve(101))
    ws.once('error', () => {})
  })
  ws.terminate()
  assert.equal(status, 403)
})

test('a revoked device token closes its chat socket with 4401', async () => {
  const device = k.pairDevice('revoked-soon')
  const c = await openChat(k, { token: device.token })
  await c.next('session_start')
  const closed = new Promise<number>((resolve) => c.ws.once('close', (code) => resolve(code)))
  const res = await k.inject({ method: 'DELETE', url: `/api/devices/${device.deviceId}`, headers: { authorization: `Bearer ${k.token}` } })
  assert.equal(res.statusCode, 200)
  assert.equal(await closed, 4401)
})
