/**
 * The listener guard's bookkeeping (kernel/http/ws-guard.ts), over a real `ws` pair: a listener a
 * plugin removes is really removed, `once` stays once, the socket is closed with 1011 once however
 * many listeners fail, and the failure log is rate-limited with no payload in it. The attack over a
 * real gateway process is ws.listener-crash.test.ts.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import WebSocket, { WebSocketServer } from 'ws'
import { guardSocket, ListenerFailureLog } from '../../kernel/http/ws-guard.js'

async function pair(): Promise<{ server: WebSocket; client: WebSocket; stop: () => Promise<void> }> {
  const http = createServer()
  const wss = new WebSocketServer({ server: http })
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const got = new Promise<WebSocket>((r) => wss.once('connection', r))
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`)
  await new Promise((r, j) => {
    client.once('open', r)
    client.once('error', j)
  })
  const server = await got
  return {
    server,
    client,
    stop: async () => {
      client.terminate()
      wss.close()
      await new Promise((r) => http.close(r))
    },
  }
}

test("removing a listener through the guarded socket removes it; once stays once; methods and instanceof are the real socket's", async () => {
  const { server, client, stop } = await pair()
  try {
    const failures: string[] = []
    const s = guardSocket(server, (event) => failures.push(event))
    assert.ok(s instanceof WebSocket)
    assert.equal(s.send, s.send)
    const seen: string[] = []
    const a = (d: Buffer) => seen.push(`a:${d}`)
    const b = (d: Buffer) => seen.push(`b:${d}`)
    assert.equal(s.on('message', a), s, 'on chains on the guarded socket')
    s.once('message', b)
    const two = new Promise<void>((r) => {
      let n = 0
      server.on('message', () => {
        if (++n === 2) setImmediate(r)
      })
    })
    client.send('1')
    client.send('2')
    await two
    assert.deepEqual(seen, ['a:1', 'b:1', 'a:2'])
    s.off('message', a)
    assert.equal(server.listenerCount('message'), 1, "only the test's own counter is left")
    assert.deepEqual(failures, [])
  } finally {
    await stop()
  }
})

test('two failing listeners: both logged, one 1011 close; the log is rate-limited and carries no payload', async () => {
  const { server, client, stop } = await pair()
  const lines: any[] = []
  // only error() is used; the lines keep both arguments as pino would print them
  const log = { error: (a: unknown, b?: string) => lines.push(typeof a === 'string' ? { msg: a } : { ...(a as object), msg: b }) } as unknown as Logger
  try {
    const failures = new ListenerFailureLog(log, 2, 60_000)
    const s = guardSocket(server, (event, err) => failures.note({ plugin: 'p', route: '/ws/p', event, err }))
    s.on('message', (d: Buffer) => {
      JSON.parse(String(d))
    })
    s.on('message', async () => {
      throw new Error('secret-payload')
    })
    const closed = new Promise<number>((r) => client.once('close', (c) => r(c)))
    client.send('{"secret-payload"')
    assert.equal(await closed, 1011)
    for (let i = 0; i < 5; i++) failures.note({ plugin: 'p', route: '/ws/p', event: 'message', err: new Error('secret-payload') })
    await new Promise((r) => setImmediate(r))
    // 2 logged, then one "suppressing" line
    assert.equal(lines.length, 3, JSON.stringify(lines))
    assert.deepEqual(
      lines.slice(0, 2).map((l) => l.error),
      ['SyntaxError', 'Error'],
    )
    assert.match(lines[2].msg, /suppressing/)
    assert.ok(!JSON.stringify(lines).includes('secret-payload'), 'the payload reached the log')
  } finally {
    await stop()
  }
})
