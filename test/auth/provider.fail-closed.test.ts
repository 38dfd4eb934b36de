/**
 * Provider (webhook) routes fail closed: with no secret configured they answer 503
 * `webhook_not_configured` and never process the delivery; with one, only a valid signature over
 * the raw body gets in, and no gateway credential stands in for it.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHmac, randomBytes } from 'node:crypto'
import { startTestKernel } from '@revka/plugin-testing'
import { probeState } from '../fixtures/auth-probe/index.js'
import { bearer, PROBE_DIR, REMOTE, removeDir, tempStateDir } from './support.js'

const BODY = JSON.stringify({ message: 'hello' })
const sign = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex')
const post = (headers: Record<string, string>, payload = BODY) => ({
  method: 'POST',
  url: '/probe/provider',
  payload,
  headers: { 'content-type': 'application/json', ...headers },
  remoteAddress: REMOTE,
})

for (const [what, secret] of [
  ['unset', undefined],
  ['blank', '   '],
] as const) {
  test(`provider route with its secret ${what}: 503 webhook_not_configured, handler never runs`, async () => {
    const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR], env: { PROBE_SECRET: secret } })
    try {
      const attempts: Array<Record<string, string>> = [
        {},
        { 'x-probe-signature': sign('', BODY) },
        { 'x-probe-signature': sign('guess', BODY) },
        bearer(k.token!),
        { 'x-revka-service-token': k.serviceToken },
      ]
      for (const headers of attempts) {
        for (const remoteAddress of [REMOTE, '127.0.0.1']) {
          const res = await k.inject({ ...post(headers), remoteAddress })
          assert.equal(res.statusCode, 503, `${JSON.stringify(Object.keys(headers))} from ${remoteAddress}: ${res.body}`)
          const body = res.json()
          assert.equal(body.code, 'webhook_not_configured')
          assert.match(body.error, /PROBE_SECRET/)
          assert.ok(body.retry_after > 0)
          assert.equal(res.headers['retry-after'], String(body.retry_after))
        }
      }
      assert.equal(probeState(k.stateDir).counts.provider, 0)
    } finally {
      await k.stop()
    }
  })
}

test('provider route with a secret: only a valid HMAC of the raw body gets in', async () => {
  const secret = randomBytes(16).toString('hex')
  const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR], env: { PROBE_SECRET: secret } })
  try {
    const probe = probeState(k.stateDir)
    const bad: Array<[string, Record<string, string>, string?]> = [
      ['no signature', {}],
      ['wrong key', { 'x-probe-signature': sign('not-the-secret', BODY) }],
      ['signature of another body', { 'x-probe-signature': sign(secret, BODY) }, JSON.stringify({ message: 'hellO' })],
      ['re-serialised body', { 'x-probe-signature': sign(secret, BODY) }, JSON.stringify({ message: 'hello' }, null, 1)],
      ['truncated signature', { 'x-probe-signature': sign(secret, BODY).slice(0, 40) }],
      ['bearer instead', bearer(k.token!)],
      ['service token instead', { 'x-revka-service-token': k.serviceToken }],
    ]
    for (const [what, headers, payload] of bad) {
      const res = await k.inject(post(headers, payload))
      assert.equal(res.statusCode, 401, `${what}: ${res.body}`)
      assert.equal(res.json().code, 'invalid_signature')
    }
    assert.equal(probe.counts.provider, 0)
    const ok = await k.inject(post({ 'x-probe-signature': sign(secret, BODY) }))
    assert.equal(ok.statusCode, 200, ok.body)
    assert.equal(ok.json().via, 'provider')
    assert.equal(probe.counts.provider, 1)
  } finally {
    await k.stop()
  }
})

test('a provider secret equal to the service token or a bearer token is refused (fail closed)', async () => {
  // whoever holds a gateway credential must not be able to forge webhook deliveries with it
  const stateDir = tempStateDir()
  try {
    const service = randomBytes(32).toString('hex')
    writeFileSync(join(stateDir, 'service-token'), service + '\n', { mode: 0o600 })
    const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR], stateDir, env: { PROBE_SECRET: service } })
    let deviceToken: string
    try {
      assert.equal(k.serviceToken, service)
      deviceToken = k.token!
      const res = await k.inject(post({ 'x-probe-signature': sign(service, BODY) }))
      assert.equal(res.statusCode, 503, res.body)
      assert.equal(res.json().code, 'webhook_not_configured')
      assert.equal(probeState(k.stateDir).counts.provider, 0)
    } finally {
      await k.stop()
    }
    const k2 = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR], stateDir, pair: false, env: { PROBE_SECRET: deviceToken } })
    try {
      const res = await k2.inject(post({ 'x-probe-signature': sign(deviceToken, BODY) }))
      assert.equal(res.statusCode, 503, res.body)
      assert.equal(probeState(k2.stateDir).counts.provider, 0)
    } finally {
      await k2.stop()
    }
  } finally {
    removeDir(stateDir)
  }
})
