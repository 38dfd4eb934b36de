/**
 * The request timeout on the wire (REVKA_GATEWAY_TIMEOUT_SECS=1 keeps this fast): it cuts a client
 * that trickles its headers, one that stops halfway through its body (the handler never sees it),
 * and a handler slower than its route's own `timeoutMs` (408 request_timeout in the error shape).
 */
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { cleanupTemp, fixture } from './helpers/kernel.js'
import { head, rawExchange, type Step } from './helpers/wire.js'

let k: TestKernel
before(async () => {
  k = await startTestKernel({ builtins: false, paths: [fixture('fx-wire')], env: { REVKA_GATEWAY_TIMEOUT_SECS: '1' }, listen: true })
})
after(async () => {
  try {
    await k?.stop()
  } finally {
    cleanupTemp()
  }
})

const stats = async () => (await k.inject({ url: '/fx/stats' })).json()

test('a client trickling its headers is answered 408 or cut off within ~2 s', async () => {
  const steps: Step[] = ['GET /fx/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n']
  // one header line every 250 ms for 5 s: each byte arrives long before any idle timeout would fire
  for (let i = 0; i < 20; i++) steps.push({ pause: 250 }, `X-Trickle-${i}: ${i}\r\n`)
  const res = await rawExchange(k.url!, steps, 6000)
  assert.ok(res.status === 408 || (res.status === null && res.closed), `status ${res.status}, closed ${res.closed}: ${res.body.slice(0, 120)}`)
  assert.ok(res.elapsedMs < 3000, `the server waited ${res.elapsedMs} ms`)
  // when the server does answer, it is in the one error shape like every other refusal
  if (res.status === 408) assert.deepEqual(JSON.parse(res.body), { error: 'Request timed out', code: 'request_timeout' })
})

test('a body that stops halfway gets 408 and never reaches the handler', async () => {
  const steps: Step[] = [
    head('POST', '/fx/slow-body', { 'Content-Type': 'application/octet-stream', 'Content-Length': 100 }),
    Buffer.alloc(10, 0x61),
    { pause: 5000 },
  ]
  const res = await rawExchange(k.url!, steps, 6000)
  assert.equal(res.status, 408, `status ${res.status}: ${res.body.slice(0, 120)}`)
  assert.ok(res.elapsedMs < 3000, `the server waited ${res.elapsedMs} ms`)
  assert.equal((await stats()).slowBody, 0, 'the handler ran on a partial body')
})

test('a handler slower than its route timeoutMs gets 408 request_timeout', async () => {
  const res = await rawExchange(k.url!, [head('GET', '/fx/slow-handler', { Connection: 'close' })], 4000)
  assert.equal(res.status, 408, `status ${res.status}: ${res.body.slice(0, 120)}`)
  const body = JSON.parse(res.body)
  assert.equal(body.code, 'request_timeout')
  assert.equal(typeof body.error, 'string')
  // the route's 300 ms, not the gateway's 1 s, not the handler's 1.5 s
  assert.ok(res.elapsedMs >= 250 && res.elapsedMs < 900, `answered after ${res.elapsedMs} ms`)
  assert.equal((await stats()).slowHandler, 1)
})

test('a prompt request on the same gateway is unaffected', async () => {
  const res = await rawExchange(k.url!, [head('GET', '/fx/stats', { Connection: 'close' })], 3000)
  assert.equal(res.status, 200)
})
