/**
 * The SDK's ConnectionCap on its own (the wire behaviour is in credential-caps.test.ts): whose
 * quota a request uses, reservations that lapse, and a guarded handler reached without admission.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CLOSE_OVER_QUOTA, ConnectionCap, credentialKey, isHttpError, type RevkaRequest, type RevkaSocket } from '@revka/plugin-sdk'

const req = (auth: RevkaRequest['auth']) => ({ auth }) as RevkaRequest<undefined>

function fakeSocket() {
  const handlers: Array<() => void> = []
  const s = {
    readyState: 1,
    closedWith: 0,
    sent: [] as string[],
    send(d: string) {
      s.sent.push(d)
    },
    close(code: number) {
      s.closedWith = code
      s.readyState = 3
      for (const h of handlers) h()
    },
    on(_e: string, fn: () => void) {
      handlers.push(fn)
      return s
    },
  }
  return s
}

test('credentialKey: devices by id (a rotated token keeps its quota), other tokens by credential, tokenless loopback is one', () => {
  assert.equal(credentialKey({ via: 'bearer', deviceId: 'd1', credentialId: 'c1' }), 'device:d1')
  assert.equal(credentialKey({ via: 'service', credentialId: 'service' }), 'credential:service')
  assert.equal(credentialKey({ via: 'loopback' }), 'loopback')
})

test('an admitted upgrade holds its slot until its socket arrives or reserveMs passes', () => {
  let now = 0
  const cap = new ConnectionCap({ what: 'x', perCredential: 2, reserveMs: 1000, now: () => now })
  const a = req({ via: 'bearer', deviceId: 'a' })
  cap.admit(a)
  cap.admit(a)
  assert.throws(
    () => cap.admit(a),
    (e) => isHttpError(e) && e.statusCode === 429 && e.code === 'too_many_connections',
  )
  cap.admit(req({ via: 'bearer', deviceId: 'b' }))
  now = 1001
  assert.equal(cap.count('device:a'), 0, 'reservations whose socket never came lapse')
  cap.admit(a)
})

test('a guarded handler reached without admission over the cap closes with 4429 and never runs', () => {
  const cap = new ConnectionCap({ what: 'x', perCredential: 1 })
  let ran = 0
  const h = cap.guard(() => {
    ran++
  })
  const a = req({ via: 'loopback' })
  const first = fakeSocket()
  h(first as unknown as RevkaSocket, a)
  const second = fakeSocket()
  h(second as unknown as RevkaSocket, a)
  assert.equal(ran, 1)
  assert.equal(second.closedWith, CLOSE_OVER_QUOTA)
  assert.equal(JSON.parse(second.sent[0]).code, 'too_many_connections')
  first.close(1000)
  assert.equal(cap.count('loopback'), 0, 'a closed socket gives its slot back')
})

test('total: over all credentials the cap answers 503', () => {
  const cap = new ConnectionCap({ what: 'x', perCredential: 5, total: 2 })
  cap.acquire(req({ via: 'bearer', deviceId: 'a' }))
  cap.acquire(req({ via: 'bearer', deviceId: 'b' }))
  assert.throws(
    () => cap.acquire(req({ via: 'bearer', deviceId: 'c' })),
    (e) => isHttpError(e) && e.statusCode === 503,
  )
})
