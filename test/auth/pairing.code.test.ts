/**
 * Pairing codes: 6 digits from a CSPRNG, one at a time, single use, and they expire after
 * `[gateway.pairing] code_ttl_secs`. Both pairing routes exchange a code for a working token, and the
 * routes that reveal the code answer only true loopback callers.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock, startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { bearer, PROBE_DIR, REMOTE } from './support.js'

async function mintCode(k: TestKernel): Promise<string> {
  const res = await k.inject({ method: 'POST', url: '/admin/paircode/new' })
  assert.equal(res.statusCode, 200, res.body)
  return res.json().pairing_code
}

async function works(k: TestKernel, token: string): Promise<boolean> {
  return (await k.inject({ url: '/probe/bearer', headers: bearer(token), remoteAddress: REMOTE })).statusCode === 200
}

test('codes are 6 digits, varied, and minting a new one kills the old one', async () => {
  const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR] })
  try {
    const codes = new Set<string>()
    for (let i = 0; i < 40; i++) {
      const c = await mintCode(k)
      assert.match(c, /^\d{6}$/)
      codes.add(c)
    }
    assert.ok(codes.size > 30, `40 codes gave only ${codes.size} distinct values`)
    const viaApi = await k.inject({ method: 'POST', url: '/api/pairing/initiate', headers: bearer(k.token!) })
    assert.equal(viaApi.statusCode, 200)
    assert.match(viaApi.json().pairing_code, /^\d{6}$/)

    const old = await mintCode(k)
    const current = await mintCode(k)
    if (old !== current) {
      const res = await k.inject({ method: 'POST', url: '/pair', headers: { 'x-pairing-code': old }, remoteAddress: REMOTE })
      assert.equal(res.statusCode, 403, 'a replaced code still paired')
    }
  } finally {
    await k.stop()
  }
})

test('POST /pair (X-Pairing-Code) and POST /api/pair (JSON) both pair; a code works once', async () => {
  const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR] })
  try {
    const c1 = await mintCode(k)
    // a wrong guess does not burn the code for its rightful owner
    assert.equal(
      (await k.inject({ method: 'POST', url: '/pair', headers: { 'x-pairing-code': c1 === '000000' ? '000001' : '000000' }, remoteAddress: '198.51.100.3' }))
        .statusCode,
      403,
    )
    const legacy = await k.inject({
      method: 'POST',
      url: '/pair',
      headers: { 'x-pairing-code': c1, 'x-revka-device-name': 'legacy-phone' },
      remoteAddress: REMOTE,
    })
    assert.equal(legacy.statusCode, 200, legacy.body)
    const lb = legacy.json()
    assert.equal(lb.paired, true)
    assert.match(lb.token, /^rk_[0-9a-f]{64}$/)
    assert.ok(await works(k, lb.token))

    const again = await k.inject({ method: 'POST', url: '/pair', headers: { 'x-pairing-code': c1 }, remoteAddress: '198.51.100.4' })
    assert.equal(again.statusCode, 403, 'a used code paired a second device')
    assert.equal(again.json().code, 'invalid_pairing_code')
    assert.equal((await k.inject({ method: 'POST', url: '/api/pair', payload: { code: c1 }, remoteAddress: '198.51.100.4' })).statusCode, 403)

    const c2 = await mintCode(k)
    const modern = await k.inject({ method: 'POST', url: '/api/pair', payload: { code: ` ${c2} `, device_name: 'cli-box' }, remoteAddress: REMOTE })
    assert.equal(modern.statusCode, 200, modern.body)
    assert.match(modern.json().token, /^rk_[0-9a-f]{64}$/)
    assert.ok(await works(k, modern.json().token))
    assert.equal((await k.inject({ method: 'POST', url: '/api/pair', payload: { code: c2 }, remoteAddress: '198.51.100.5' })).statusCode, 403)

    const names = (await k.inject({ url: '/api/devices', headers: bearer(k.token!) })).json().devices.map((d: any) => d.name)
    assert.ok(names.includes('legacy-phone') && names.includes('cli-box'), JSON.stringify(names))
    assert.equal(names.length, 3)

    // malformed bodies are refused before any code is compared
    assert.equal((await k.inject({ method: 'POST', url: '/api/pair', payload: {}, remoteAddress: REMOTE })).statusCode, 400)
    assert.equal((await k.inject({ method: 'POST', url: '/pair', remoteAddress: REMOTE })).statusCode, 403)
  } finally {
    await k.stop()
  }
})

test('a code expires after [gateway.pairing] code_ttl_secs', async () => {
  const clock = new ManualClock()
  const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR], clock, config: '[gateway.pairing]\ncode_ttl_secs = 120\n' })
  try {
    const t0 = clock.nowMs
    const c1 = await mintCode(k)
    const shown = (await k.inject({ url: '/admin/paircode' })).json()
    assert.equal(shown.pairing_code, c1)
    assert.equal(Date.parse(shown.expires_at), t0 + 120_000)
    clock.advance(119_000)
    assert.equal((await k.inject({ method: 'POST', url: '/pair', headers: { 'x-pairing-code': c1 }, remoteAddress: REMOTE })).statusCode, 200)

    const c2 = await mintCode(k)
    clock.advance(120_001)
    assert.equal((await k.inject({ url: '/admin/paircode' })).json().pairing_code, null, 'an expired code is still shown')
    const late = await k.inject({ method: 'POST', url: '/pair', headers: { 'x-pairing-code': c2 }, remoteAddress: '198.51.100.6' })
    assert.equal(late.statusCode, 403, 'an expired code paired')
    assert.equal((await k.inject({ method: 'POST', url: '/api/pair', payload: { code: c2 }, remoteAddress: '198.51.100.7' })).statusCode, 403)
    assert.equal(k.kernel.auth.pairing.listDevices().length, 2)
  } finally {
    await k.stop()
  }
})

test('/admin/paircode, /admin/paircode/new and /pair/code answer loopback only', async () => {
  // nothing paired yet: the gateway minted a start-up code, which /pair/code may reveal locally
  const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR], pair: false })
  try {
    const startup = k.kernel.auth.pairing.status().code
    assert.match(String(startup), /^\d{6}$/)
    for (const remoteAddress of [REMOTE, '::ffff:203.0.113.7', '10.0.0.1']) {
      for (const [method, url] of [
        ['GET', '/admin/paircode'],
        ['GET', '/pair/code'],
        ['POST', '/admin/paircode/new'],
      ]) {
        const res = await k.inject({ method, url, remoteAddress })
        assert.equal(res.statusCode, 403, `${method} ${url} from ${remoteAddress}`)
        assert.ok(!res.body.includes(String(startup)), 'a refused request saw the code')
      }
    }
    assert.equal(k.kernel.auth.pairing.status().code, startup, 'a refused /admin/paircode/new replaced the code')

    for (const remoteAddress of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      const res = await k.inject({ url: '/pair/code', remoteAddress })
      assert.equal(res.statusCode, 200, `from ${remoteAddress}`)
      assert.equal(res.json().pairing_code, startup)
    }
    assert.equal((await k.inject({ url: '/admin/paircode' })).json().pairing_code, startup)

    // once something is paired, /pair/code stops handing out codes
    const paired = await k.inject({ method: 'POST', url: '/pair', headers: { 'x-pairing-code': startup! } })
    assert.equal(paired.statusCode, 200)
    await mintCode(k)
    assert.equal((await k.inject({ url: '/pair/code' })).json().pairing_code, null)
  } finally {
    await k.stop()
  }
})
