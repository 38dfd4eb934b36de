/**
 * `POST /api/pairing/initiate` (issue 10 item 10): a paired device asks for a code to pair another
 * one. Calling it in a loop must neither flood the gateway nor take the code away from someone who
 * is typing it: the live code is answered again until it is used or expires, and calls beyond the
 * per-credential (and overall) rate are refused with 429 + Retry-After, in the contract shape.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock, startTestKernel } from '@revka/plugin-testing'
import { INITIATE_PER_CREDENTIAL_PER_MINUTE, INITIATE_PER_MINUTE } from '../../kernel/auth/pairing.js'
import { bearer, PROBE_DIR, REMOTE } from './support.js'

const initiate = (k: Awaited<ReturnType<typeof startTestKernel>>, token: string) =>
  k.inject({ method: 'POST', url: '/api/pairing/initiate', headers: bearer(token), remoteAddress: REMOTE })

test('rapid initiates: the live code is kept, the (limit+1)th call is 429, and the code still pairs', async () => {
  const clock = new ManualClock()
  const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR], clock })
  try {
    const first = await initiate(k, k.token!)
    assert.equal(first.statusCode, 200, first.body)
    const code: string = first.json().pairing_code
    assert.match(code, /^\d{6}$/)
    const statuses: number[] = [first.statusCode]
    const codes = new Set<string>([code])
    let refused: Awaited<ReturnType<typeof initiate>> | undefined
    for (let i = 1; i < 50; i++) {
      const res = await initiate(k, k.token!)
      statuses.push(res.statusCode)
      if (res.statusCode === 200) codes.add(res.json().pairing_code)
      else {
        refused = res
        break
      }
    }
    assert.equal(statuses.length, INITIATE_PER_CREDENTIAL_PER_MINUTE + 1, `statuses: ${statuses.join(',')}`)
    assert.ok(refused, 'no call was refused')
    assert.equal(refused!.statusCode, 429)
    assert.equal(refused!.json().code, 'rate_limited')
    assert.equal(typeof refused!.json().error, 'string')
    assert.ok(refused!.json().retry_after > 0)
    assert.equal(refused!.headers['retry-after'], String(refused!.json().retry_after))
    assert.deepEqual([...codes], [code], 'a live code was replaced')

    // the code that was handed out first still pairs a new device
    const paired = await k.inject({ method: 'POST', url: '/pair', headers: { 'x-pairing-code': code }, remoteAddress: '198.51.100.9' })
    assert.equal(paired.statusCode, 200, paired.body)

    // used: the next initiate (once the window has passed) mints a different code
    clock.advance(61_000)
    const next = await initiate(k, k.token!)
    assert.equal(next.statusCode, 200)
    assert.notEqual(next.json().pairing_code, code)
  } finally {
    await k.stop()
  }
})

test('many credentials together hit the overall initiate rate', async () => {
  const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR] })
  try {
    const tokens = Array.from({ length: Math.ceil(INITIATE_PER_MINUTE / INITIATE_PER_CREDENTIAL_PER_MINUTE) + 1 }, (_, i) => k.pairDevice(`d${i}`).token)
    let ok = 0
    let limited = 0
    for (const t of tokens) {
      for (let i = 0; i < INITIATE_PER_CREDENTIAL_PER_MINUTE; i++) {
        const res = await initiate(k, t)
        if (res.statusCode === 200) ok++
        else if (res.statusCode === 429) limited++
      }
    }
    assert.equal(ok, INITIATE_PER_MINUTE)
    assert.ok(limited > 0)
  } finally {
    await k.stop()
  }
})
