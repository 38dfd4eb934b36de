import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock, startTestKernel } from '@revka/plugin-testing'
import { TestAuthenticator } from './test-authenticator.js'

const ORIGIN = 'http://localhost:5173'

test('disabled (the default), all six routes answer 404 {error:"WebAuthn is not enabled"} (plus our snake_case code)', async () => {
  const k = await startTestKernel({ plugins: ['pairing', 'webauthn'] })
  try {
    const auth = { authorization: `Bearer ${k.token}`, 'content-type': 'application/json' }
    for (const [method, url, payload] of [
      ['POST', '/api/webauthn/register/start', { user_id: 'a', user_name: 'a' }],
      ['POST', '/api/webauthn/register/finish', { challenge: 'c', id: 'i', response: {} }],
      ['POST', '/api/webauthn/auth/start', { user_id: 'a' }],
      ['POST', '/api/webauthn/auth/finish', { challenge: 'c', id: 'i', response: {} }],
      ['GET', '/api/webauthn/credentials?user_id=a', undefined],
      ['DELETE', '/api/webauthn/credentials/x', undefined],
    ] as const) {
      const r = await k.inject({
        method,
        url,
        headers: payload ? auth : { authorization: auth.authorization },
        payload: payload ? JSON.stringify(payload) : undefined,
      })
      assert.equal(r.statusCode, 404, url)
      assert.deepEqual(r.json(), { error: 'WebAuthn is not enabled', code: 'webauthn_not_enabled' })
    }
  } finally {
    await k.stop()
  }
})

test('the plugin option enabled = true turns the routes on as well', async () => {
  const k = await startTestKernel({ plugins: ['pairing', 'webauthn'], options: { webauthn: { enabled: true } } })
  try {
    const r = await k.inject({ url: '/api/webauthn/credentials?user_id=a', headers: { authorization: `Bearer ${k.token}` } })
    assert.deepEqual(r.json(), { credentials: [], count: 0 })
  } finally {
    await k.stop()
  }
})

test('an rp_origin that does not match rp_id is refused at start with the reason', async () => {
  const k = await startTestKernel({
    plugins: ['pairing', 'webauthn'],
    config: '[security.webauthn]\nenabled = true\nrp_id = "revka.example"\nrp_origin = "https://evil.example"\n',
    allowFailed: ['webauthn'],
  })
  try {
    const p = k.plugin('webauthn')!
    assert.notEqual(p.status, 'running')
    assert.match(JSON.stringify(p), /does not match rp_id/)
    const r = await k.inject({
      method: 'POST',
      url: '/api/webauthn/register/start',
      headers: { authorization: `Bearer ${k.token}`, 'content-type': 'application/json' },
      payload: '{"user_id":"a","user_name":"a"}',
    })
    assert.notEqual(r.statusCode, 200)
  } finally {
    await k.stop()
  }
})

test('sign-in while allow_sign_in is off is refused, audited, and mints nothing; the extra check still works', async () => {
  const k = await startTestKernel({
    plugins: ['pairing', 'webauthn'],
    listen: true,
    config: `[security.webauthn]\nenabled = true\nrp_id = "localhost"\nrp_origin = "${ORIGIN}"\n`,
  })
  try {
    const call = async (path: string, body: unknown, token: string | null) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (token) headers.authorization = `Bearer ${token}`
      const res = await fetch(k.url + path, { method: 'POST', headers, body: JSON.stringify(body) })
      return { status: res.status, body: (await res.json()) as any }
    }
    const a = new TestAuthenticator('localhost', ORIGIN)
    const reg = (await call('/api/webauthn/register/start', { user_id: 'al', user_name: 'al' }, k.token)).body
    assert.equal((await call('/api/webauthn/register/finish', a.attest(reg), k.token)).status, 200)
    assert.equal((await call('/api/webauthn/auth/start', { user_id: 'al' }, null)).body.code, 'webauthn_sign_in_disabled')
    // a challenge obtained with a bearer, finished without one
    const opts = (await call('/api/webauthn/auth/start', { user_id: 'al' }, k.token)).body
    const devices = k.kernel.auth.pairing.listDevices().length
    const r = await call('/api/webauthn/auth/finish', a.assert(opts), null)
    assert.equal(r.status, 403)
    assert.equal(r.body.code, 'webauthn_sign_in_disabled')
    assert.equal(r.body.token, undefined)
    assert.equal(k.kernel.auth.pairing.listDevices().length, devices)
    const { events } = await k.kernel.audit.query({ event_type: 'security_event', limit: 100 })
    assert.ok(events.some((e) => e.action?.command === 'webauthn.sign_in refused: sign-in disabled'))
    const opts2 = (await call('/api/webauthn/auth/start', { user_id: 'al' }, k.token)).body
    assert.deepEqual((await call('/api/webauthn/auth/finish', a.assert(opts2), k.token)).body, { status: 'authenticated' })
  } finally {
    await k.stop()
  }
})

test('a challenge expires after 5 minutes: registering with it then is refused and stores nothing', async () => {
  const clock = new ManualClock()
  const k = await startTestKernel({
    plugins: ['pairing', 'webauthn'],
    clock,
    config: `[security.webauthn]\nenabled = true\nrp_id = "localhost"\nrp_origin = "${ORIGIN}"\n`,
  })
  try {
    const headers = { authorization: `Bearer ${k.token}`, 'content-type': 'application/json' }
    const post = (url: string, body: unknown) => k.inject({ method: 'POST', url, headers, payload: JSON.stringify(body) })
    const a = new TestAuthenticator('localhost', ORIGIN)
    const opts = (await post('/api/webauthn/register/start', { user_id: 'u', user_name: 'u' })).json()
    clock.advance(5 * 60_000)
    const r = await post('/api/webauthn/register/finish', a.attest(opts))
    assert.equal(r.statusCode, 400)
    assert.equal(r.json().code, 'webauthn_invalid_challenge')
    const list = await k.inject({ url: '/api/webauthn/credentials?user_id=u', headers })
    assert.equal(list.json().count, 0)
  } finally {
    await k.stop()
  }
})
