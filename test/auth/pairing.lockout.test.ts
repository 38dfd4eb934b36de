/**
 * Brute force is limited per client, loopback included, and a client is only ever locked out by
 * its own failures: five wrong pairing codes lock that client for 300 s; ten failed bearer attempts
 * in 60 s lock it for 300 s. With `trust_forwarded_headers`, the rightmost X-Forwarded-For entry is
 * the client — and forwarded headers never make a request local.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock, startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { probeState } from '../fixtures/auth-probe/index.js'
import { bearer, forgedToken, PROBE_DIR, REMOTE } from './support.js'

async function mintCode(k: TestKernel): Promise<string> {
  const res = await k.inject({ method: 'POST', url: '/admin/paircode/new' })
  assert.equal(res.statusCode, 200, res.body)
  return res.json().pairing_code
}

function wrong(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0')
}

function pairWith(k: TestKernel, code: string, remoteAddress: string, headers: Record<string, string> = {}) {
  return k.inject({ method: 'POST', url: '/pair', headers: { 'x-pairing-code': code, ...headers }, remoteAddress })
}

function assertLocked(res: Awaited<ReturnType<TestKernel['inject']>>, code: string, maxSecs: number): void {
  assert.equal(res.statusCode, 429, res.body)
  const body = res.json()
  assert.equal(body.code, code)
  assert.equal(typeof body.error, 'string')
  assert.ok(body.retry_after > 0 && body.retry_after <= maxSecs, `retry_after ${body.retry_after}`)
  assert.equal(res.headers['retry-after'], String(body.retry_after))
}

for (const [who, addr] of [
  ['a remote client', REMOTE],
  ['a loopback client (not exempt)', '127.0.0.1'],
] as const) {
  test(`pairing: five wrong codes lock out ${who} for 300 s, then the right code works`, async () => {
    const clock = new ManualClock()
    const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR], clock })
    try {
      const code = await mintCode(k)
      for (let i = 0; i < 5; i++) {
        const res = await pairWith(k, wrong(code), addr)
        assert.equal(res.statusCode, 403, `attempt ${i + 1}: ${res.body}`)
        assert.equal(res.json().code, 'invalid_pairing_code')
      }
      const devices = k.kernel.auth.pairing.listDevices().length
      // locked: even the right code is refused, on both pairing routes, and it is not consumed
      assertLocked(await pairWith(k, code, addr), 'too_many_attempts', 300)
      assertLocked(await k.inject({ method: 'POST', url: '/api/pair', payload: { code }, remoteAddress: addr }), 'too_many_attempts', 300)
      assert.equal(k.kernel.auth.pairing.listDevices().length, devices, 'a locked-out client paired anyway')

      // pairing failures are not bearer failures: the same client's valid bearer still works
      const ok = await k.inject({ url: '/probe/bearer', headers: bearer(k.token!), remoteAddress: addr })
      assert.equal(ok.statusCode, 200)

      clock.advance(299_000)
      assertLocked(await pairWith(k, code, addr), 'too_many_attempts', 1)
      clock.advance(2_000)
      const res = await pairWith(k, code, addr)
      assert.equal(res.statusCode, 200, res.body)
      const token = res.json().token
      assert.equal((await k.inject({ url: '/probe/bearer', headers: bearer(token), remoteAddress: addr })).statusCode, 200)
    } finally {
      await k.stop()
    }
  })
}

test('pairing lockout is per client: the rightmost X-Forwarded-For is the key when trusted', async () => {
  const clock = new ManualClock()
  const k = await startTestKernel({
    plugins: ['pairing'],
    paths: [PROBE_DIR],
    clock,
    config: '[gateway]\ntrust_forwarded_headers = true\n',
  })
  try {
    const code = await mintCode(k)
    const proxy = '10.0.0.5'
    // A rotates the leftmost (client-controlled) entries; only the rightmost counts
    for (let i = 0; i < 5; i++) {
      const res = await pairWith(k, wrong(code), proxy, { 'x-forwarded-for': `192.0.2.${i + 1}, 198.51.100.1` })
      assert.equal(res.statusCode, 403)
    }
    assertLocked(await pairWith(k, code, proxy, { 'x-forwarded-for': '192.0.2.99, 198.51.100.1' }), 'too_many_attempts', 300)

    // B, behind the same proxy, is a different client: not locked, and A's address on the left does not matter
    const b = { 'x-forwarded-for': '198.51.100.1, 198.51.100.2' }
    assert.equal((await pairWith(k, wrong(code), proxy, b)).statusCode, 403)
    const paired = await pairWith(k, code, proxy, b)
    assert.equal(paired.statusCode, 200, paired.body)
    // A is still locked out after B succeeded
    assertLocked(await pairWith(k, await mintCode(k), proxy, { 'x-forwarded-for': '198.51.100.1' }), 'too_many_attempts', 300)

    // the probe sees the forwarded key, and never a local request
    const seen = await k.inject({ url: '/probe/public', headers: { 'x-forwarded-for': '198.51.100.7' } })
    assert.equal(seen.json().clientKey, '198.51.100.7')
    assert.equal(seen.json().isLoopback, false)
  } finally {
    await k.stop()
  }
})

test('forwarded headers never make a request loopback, trusted or not', async () => {
  for (const config of ['[gateway]\ntrust_forwarded_headers = true\n', '[gateway]\ntrust_forwarded_headers = false\n']) {
    const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR], config })
    try {
      const before = k.kernel.auth.pairing.status().code
      for (const [remoteAddress, headers] of [
        ['127.0.0.1', { 'x-forwarded-for': '127.0.0.1' }],
        [REMOTE, { 'x-forwarded-for': '127.0.0.1' }],
        ['127.0.0.1', { 'x-real-ip': '127.0.0.1' }],
        ['127.0.0.1', { forwarded: 'for=127.0.0.1' }],
      ] as const) {
        for (const [method, url] of [
          ['GET', '/admin/paircode'],
          ['GET', '/pair/code'],
          ['POST', '/admin/paircode/new'],
          ['GET', '/probe/loopback'],
        ]) {
          const res = await k.inject({ method, url, headers, remoteAddress })
          assert.equal(res.statusCode, 403, `${config.trim()} ${method} ${url} from ${remoteAddress} ${JSON.stringify(headers)}: ${res.body}`)
          assert.ok(!('pairing_code' in res.json()), 'a refused admin route leaked the code')
        }
      }
      assert.equal(k.kernel.auth.pairing.status().code, before, 'a refused /admin/paircode/new minted a code')
      assert.equal(probeState(k.stateDir).counts.loopback, 0)
    } finally {
      await k.stop()
    }
  }
})

test('bearer failures: 10 in 60 s lock that client only, valid credentials elsewhere keep working', async () => {
  const clock = new ManualClock()
  const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR], clock })
  try {
    const probe = probeState(k.stateDir)
    const attacker = REMOTE
    for (let i = 0; i < 10; i++) {
      const res = await k.inject({ url: '/probe/bearer', headers: bearer(forgedToken()), remoteAddress: attacker })
      assert.equal(res.statusCode, 401, `attempt ${i + 1}`)
    }
    // locked: even a valid token is refused for this client, before any compare
    assertLocked(await k.inject({ url: '/probe/bearer', headers: bearer(k.token!), remoteAddress: attacker }), 'too_many_auth_attempts', 300)
    assertLocked(
      await k.inject({ url: '/probe/service', headers: { 'x-revka-service-token': k.serviceToken }, remoteAddress: attacker }),
      'too_many_auth_attempts',
      300,
    )
    // without trust_forwarded_headers a forged X-Forwarded-For does not give the attacker a new key
    assertLocked(
      await k.inject({ url: '/probe/bearer', headers: { ...bearer(k.token!), 'x-forwarded-for': '192.0.2.200' }, remoteAddress: attacker }),
      'too_many_auth_attempts',
      300,
    )
    assert.equal(probe.counts.bearer + probe.counts.service, 0, 'a locked-out request reached a handler')

    // everyone else is unaffected: a valid bearer passes, a wrong one is a plain 401
    const other = '198.51.100.9'
    assert.equal((await k.inject({ url: '/probe/bearer', headers: bearer(k.token!), remoteAddress: other })).statusCode, 200)
    assert.equal((await k.inject({ url: '/probe/bearer', headers: bearer(forgedToken()), remoteAddress: other })).statusCode, 401)
    assert.equal((await k.inject({ url: '/probe/bearer', headers: bearer(k.token!) })).statusCode, 200, 'loopback client blocked by a remote attacker')

    clock.advance(300_001)
    assert.equal((await k.inject({ url: '/probe/bearer', headers: bearer(k.token!), remoteAddress: attacker })).statusCode, 200)
    assert.equal(probe.counts.bearer, 3)
  } finally {
    await k.stop()
  }
})

test('bearer failures: the window is 60 s, and loopback is limited too', async () => {
  const clock = new ManualClock()
  const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR], clock })
  try {
    const slow = '198.51.100.20'
    for (let i = 0; i < 9; i++) assert.equal((await k.inject({ url: '/probe/bearer', headers: bearer(forgedToken()), remoteAddress: slow })).statusCode, 401)
    clock.advance(60_001)
    // the first nine fell out of the window: the tenth failure does not lock
    assert.equal((await k.inject({ url: '/probe/bearer', headers: bearer(forgedToken()), remoteAddress: slow })).statusCode, 401)
    assert.equal((await k.inject({ url: '/probe/bearer', headers: bearer(k.token!), remoteAddress: slow })).statusCode, 200)

    for (let i = 0; i < 10; i++) assert.equal((await k.inject({ url: '/probe/bearer', headers: bearer(forgedToken()) })).statusCode, 401)
    assertLocked(await k.inject({ url: '/probe/bearer', headers: bearer(k.token!) }), 'too_many_auth_attempts', 300)
    // the same lock applies to the SSE route's query token
    assertLocked(await k.inject({ url: `/probe/events?token=${k.token}` }), 'too_many_auth_attempts', 300)
    assert.equal(probeState(k.stateDir).counts.events, 0)
  } finally {
    await k.stop()
  }
})
