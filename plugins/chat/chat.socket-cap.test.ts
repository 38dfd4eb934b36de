/**
 * `/ws/chat`'s per-credential socket cap is the option `max_sockets_per_credential` (default 32,
 * attacked in test/auth/credential-caps.test.ts). A lower configured value is what is enforced:
 * socket cap + 1 of one token is refused with 429 too_many_connections before the upgrade, while
 * another token still connects.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import { startChatKernel, openChat, type ChatClient } from './test-support/chat-client.js'

const CAP = 3

/** the status and body of a refused upgrade, or 101 when the socket opened (then closed) */
function upgrade(url: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['revka.v1'], { headers: { authorization: `Bearer ${token}` } })
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => {
        body += c
      })
      res.on('end', () => resolve({ status: res.statusCode!, body }))
    })
    ws.once('open', () => {
      ws.terminate()
      resolve({ status: 101, body: '' })
    })
    ws.once('error', reject)
  })
}

test(`max_sockets_per_credential ${CAP}: one token's /ws/chat socket ${CAP + 1} is 429 before the upgrade; another token still connects`, async () => {
  const k = await startChatKernel({ options: { chat: { max_sockets_per_credential: CAP } }, listen: true })
  const mine: ChatClient[] = []
  try {
    for (let i = 0; i < CAP; i++) mine.push(await openChat(k))
    const url = `${k.url!.replace(/^http/, 'ws')}/ws/chat`
    const over = await upgrade(url, k.token!)
    assert.equal(over.status, 429, `socket ${CAP + 1} of one token: ${over.status}`)
    assert.equal(JSON.parse(over.body).code, 'too_many_connections')
    mine.push(await openChat(k, { token: k.pairDevice('bob').token }))
  } finally {
    for (const c of mine) await c.close()
    await k.stop()
  }
})
