import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { TestAuthenticator } from './test-authenticator.js'
import { MAX_PENDING_ANONYMOUS } from './challenges.js'
import { MAX_CREDENTIALS_PER_USER } from './credential-store.js'

const ORIGIN = 'http://localhost:5173'
let k: TestKernel
before(async () => {
  k = await startTestKernel({
    plugins: ['pairing', 'webauthn'],
    config: `[security.webauthn]\nenabled = true\nrp_id = "localhost"\nrp_origin = "${ORIGIN}"\nallow_sign_in = true\n`,
  })
})
after(async () => {
  await k.stop()
})

const post = (url: string, body: unknown, bearer = true) =>
  k.inject({
    method: 'POST',
    url,
    payload: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${k.token}` } : {}) },
  })

test(`at most ${MAX_PENDING_ANONYMOUS} anonymous sign-in challenges pending: then 429, and a paired device is not starved`, async () => {
  for (let i = 0; i < MAX_PENDING_ANONYMOUS; i++) assert.equal((await post('/api/webauthn/auth/start', {}, false)).statusCode, 200)
  const over = await post('/api/webauthn/auth/start', {}, false)
  assert.equal(over.statusCode, 429)
  assert.equal(over.json().code, 'webauthn_too_many_challenges')
  assert.ok(over.json().retry_after > 0)
  assert.equal((await post('/api/webauthn/register/start', { user_id: 'u', user_name: 'U' })).statusCode, 200)
})

test(`at most ${MAX_CREDENTIALS_PER_USER} passkeys per user: the next is 409 and not stored`, async () => {
  const register = async () => {
    const a = new TestAuthenticator('localhost', ORIGIN)
    const opts = (await post('/api/webauthn/register/start', { user_id: 'many', user_name: 'Many Keys' })).json()
    return post('/api/webauthn/register/finish', a.attest(opts))
  }
  for (let i = 0; i < MAX_CREDENTIALS_PER_USER; i++) assert.equal((await register()).statusCode, 200)
  const over = await register()
  assert.equal(over.statusCode, 409)
  assert.equal(over.json().code, 'webauthn_too_many_credentials')
  const list = await k.inject({ url: '/api/webauthn/credentials?user_id=many', headers: { authorization: `Bearer ${k.token}` } })
  assert.equal(list.json().count, MAX_CREDENTIALS_PER_USER)
})
