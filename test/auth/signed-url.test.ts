/**
 * Signed URLs: a URL minted by a plugin's `api.signUrl(path, ttl)` opens its `signed` route until it
 * expires. Any edit — another path, a later exp, a missing or altered sig — is 403 and the handler
 * never runs. Other credentials do not stand in for a signature.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock, startTestKernel } from '@revka/plugin-testing'
import { probeState } from '../fixtures/auth-probe/index.js'
import { bearer, PROBE_DIR, REMOTE } from './support.js'

function parts(signed: string): { path: string; exp: string; sig: string } {
  const u = new URL(signed, 'http://x')
  return { path: u.pathname, exp: u.searchParams.get('exp')!, sig: u.searchParams.get('sig')! }
}

test('a URL from api.signUrl opens the signed route; every tampering is 403 and runs nothing', async () => {
  const clock = new ManualClock()
  const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR], clock })
  try {
    const probe = probeState(k.stateDir)
    const url = probe.signUrl('/probe/signed/report.txt', 60)
    const { path, exp, sig } = parts(url)
    assert.equal(path, '/probe/signed/report.txt')
    assert.match(sig, /^[0-9a-f]{64}$/)
    assert.equal(Number(exp), Math.floor(clock.nowMs / 1000) + 60)

    const ok = await k.inject({ url, remoteAddress: REMOTE })
    assert.equal(ok.statusCode, 200, ok.body)
    assert.equal(ok.json().via, 'signed')
    assert.equal(probe.counts.signed, 1)

    const flipped = (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1)
    const tampered: Array<[string, string, RegExp]> = [
      ['another path', `/probe/signed/secrets.txt?exp=${exp}&sig=${sig}`, /bad signature/],
      ['a later exp', `${path}?exp=${Number(exp) + 3600}&sig=${sig}`, /bad signature/],
      ['an earlier exp', `${path}?exp=${Number(exp) - 1}&sig=${sig}`, /bad signature/],
      ['exp with junk', `${path}?exp=${exp}x&sig=${sig}`, /bad signature/],
      ['an altered sig', `${path}?exp=${exp}&sig=${flipped}`, /bad signature/],
      ['a truncated sig', `${path}?exp=${exp}&sig=${sig.slice(0, 32)}`, /bad signature/],
      ['no sig', `${path}?exp=${exp}`, /missing sig/],
      ['an empty sig', `${path}?exp=${exp}&sig=`, /missing sig/],
      ['no exp', `${path}?sig=${sig}`, /missing exp/],
      ['nothing', path, /missing exp/],
    ]
    for (const [what, u, reason] of tampered) {
      const res = await k.inject({ url: u, remoteAddress: REMOTE })
      assert.equal(res.statusCode, 403, `${what}: ${res.body}`)
      assert.equal(res.json().code, 'forbidden')
      assert.match(res.json().error, reason, what)
    }
    // other credentials are not a signature, not even from loopback
    for (const headers of [bearer(k.token!), { 'x-revka-service-token': k.serviceToken }]) {
      assert.equal((await k.inject({ url: path, headers })).statusCode, 403)
      assert.equal((await k.inject({ url: `${path}?exp=${exp}&sig=${flipped}`, headers })).statusCode, 403)
    }
    assert.equal(probe.counts.signed, 1, 'a tampered signed URL reached the handler')

    // a signed URL is no credential on a route that is not `signed`
    const other = probe.signUrl('/probe/bearer', 60)
    assert.equal((await k.inject({ url: other, remoteAddress: REMOTE })).statusCode, 401)
    assert.equal(probe.counts.bearer, 0)

    // still fine at 59 s, expired after 60
    clock.advance(59_000)
    assert.equal((await k.inject({ url, remoteAddress: REMOTE })).statusCode, 200)
    clock.advance(2_000)
    const late = await k.inject({ url, remoteAddress: REMOTE })
    assert.equal(late.statusCode, 403)
    assert.match(late.json().error, /expired/)
    assert.equal(probe.counts.signed, 2)
  } finally {
    await k.stop()
  }
})

test('signed URLs are bound to the service token: another gateway does not honour them', async () => {
  const k1 = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR] })
  let url: string
  try {
    url = probeState(k1.stateDir).signUrl('/probe/signed/x', 3600)
    assert.equal((await k1.inject({ url, remoteAddress: REMOTE })).statusCode, 200)
  } finally {
    await k1.stop()
  }
  // a different gateway (different service token) must not honour it
  const k2 = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR] })
  try {
    assert.notEqual(k2.serviceToken, k1.serviceToken)
    assert.equal((await k2.inject({ url, remoteAddress: REMOTE })).statusCode, 403)
    assert.equal(probeState(k2.stateDir).counts.signed, 0)
  } finally {
    await k2.stop()
  }
})
