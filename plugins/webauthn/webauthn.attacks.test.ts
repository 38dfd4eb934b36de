import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { TestAuthenticator } from './test-authenticator.js'

const ORIGIN = 'http://localhost:5173'
const CONFIG = `[security.webauthn]\nenabled = true\nrp_id = "localhost"\nrp_origin = "${ORIGIN}"\nrp_name = "Revka test"\nallow_sign_in = true\n`

let k: TestKernel
let base: string
before(async () => {
  k = await startTestKernel({ plugins: ['pairing', 'webauthn'], config: CONFIG, listen: true })
  base = k.url!
})
after(async () => {
  await k.stop()
})

async function call(method: string, path: string, body?: unknown, token: string | null = k.token) {
  const headers: Record<string, string> = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (token) headers.authorization = `Bearer ${token}`
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  return { status: res.status, body: (await res.json()) as any }
}
const devices = async () => (await call('GET', '/api/devices')).body.devices as { id: string; name: string }[]

async function register(user: string, token = k.token) {
  const a = new TestAuthenticator('localhost', ORIGIN)
  const opts = (await call('POST', '/api/webauthn/register/start', { user_id: user, user_name: user }, token)).body
  const r = await call('POST', '/api/webauthn/register/finish', a.attest(opts, {}, 'laptop'), token)
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return a
}
const signInStart = async (user?: string) => (await call('POST', '/api/webauthn/auth/start', user ? { user_id: user } : {}, null)).body

test('register, list, sign in without a bearer: a new normal device whose token works', async () => {
  const a = await register('alice')
  const list = await call('GET', '/api/webauthn/credentials?user_id=alice')
  assert.equal(list.body.count, 1)
  assert.equal(list.body.credentials[0].credential_id, a.credentialId)
  assert.equal(list.body.credentials[0].label, 'laptop')
  const before = (await devices()).length
  const r = await call('POST', '/api/webauthn/auth/finish', a.assert(await signInStart('alice')), null)
  assert.equal(r.status, 200, JSON.stringify(r.body))
  assert.match(r.body.token, /^rk_[0-9a-f]{64}$/)
  assert.equal((await devices()).length, before + 1)
  assert.equal((await call('GET', '/api/devices', undefined, r.body.token)).status, 200)
  // with a bearer it is the contract's extra check: nothing minted
  const opts = (await call('POST', '/api/webauthn/auth/start', { user_id: 'alice' })).body
  const check = await call('POST', '/api/webauthn/auth/finish', a.assert(opts))
  assert.deepEqual(check.body, { status: 'authenticated' })
  assert.equal((await devices()).length, before + 1)
})

test('a replayed challenge is refused and mints nothing', async () => {
  const a = await register('bob')
  const opts = await signInStart('bob')
  assert.equal((await call('POST', '/api/webauthn/auth/finish', a.assert(opts), null)).status, 200)
  const n = (await devices()).length
  const replay = await call('POST', '/api/webauthn/auth/finish', a.assert(opts), null)
  assert.equal(replay.status, 400)
  assert.equal(replay.body.code, 'webauthn_invalid_challenge')
  assert.equal(replay.body.token, undefined)
  assert.equal((await devices()).length, n)
})

test("a response to another user's challenge is refused and mints nothing", async () => {
  const mallory = await register('mallory')
  await register('carol')
  const carolsChallenge = await signInStart('carol')
  const n = (await devices()).length
  const r = await call('POST', '/api/webauthn/auth/finish', mallory.assert(carolsChallenge), null)
  assert.equal(r.status, 400)
  assert.equal(r.body.code, 'webauthn_unknown_credential')
  assert.equal((await devices()).length, n)
  // nor can a registration challenge finish a sign-in
  const regOpts = (await call('POST', '/api/webauthn/register/start', { user_id: 'mallory', user_name: 'm' })).body
  assert.equal((await call('POST', '/api/webauthn/auth/finish', mallory.assert(regOpts), null)).status, 400)
  assert.equal((await devices()).length, n)
})

test('a wrong origin or rpId in client data, or no user verification, is refused at registration and at sign-in', async () => {
  const a = new TestAuthenticator('localhost', ORIGIN)
  for (const t of [{ origin: 'https://evil.example' }, { rpId: 'evil.example' }, { uv: false }]) {
    const opts = (await call('POST', '/api/webauthn/register/start', { user_id: 'dave', user_name: 'dave' })).body
    const r = await call('POST', '/api/webauthn/register/finish', a.attest(opts, t))
    assert.equal(r.status, 400, JSON.stringify(t))
  }
  assert.equal((await call('GET', '/api/webauthn/credentials?user_id=dave')).body.count, 0)
  const good = await register('dave')
  const n = (await devices()).length
  for (const t of [{ origin: 'https://evil.example' }, { rpId: 'evil.example' }, { uv: false }]) {
    const r = await call('POST', '/api/webauthn/auth/finish', good.assert(await signInStart('dave'), t), null)
    assert.equal(r.status, 400, JSON.stringify(t))
    assert.equal(r.body.code, 'webauthn_verification_failed')
  }
  assert.equal((await devices()).length, n)
})

test('a sign counter going backwards is refused, audited, and mints nothing', async () => {
  const a = await register('erin')
  assert.equal((await call('POST', '/api/webauthn/auth/finish', a.assert(await signInStart('erin')), null)).status, 200)
  assert.equal((await call('POST', '/api/webauthn/auth/finish', a.assert(await signInStart('erin')), null)).status, 200)
  const n = (await devices()).length
  const r = await call('POST', '/api/webauthn/auth/finish', a.assert(await signInStart('erin'), { counter: 1 }), null)
  assert.equal(r.status, 403)
  assert.equal(r.body.code, 'webauthn_counter_regression')
  assert.equal((await devices()).length, n)
  const { events } = await k.kernel.audit.query({ event_type: 'security_event', limit: 500 })
  assert.ok(events.some((e) => e.action?.command === `webauthn.sign_in refused: webauthn_counter_regression ${a.credentialId}`))
})

test('two sign-ins with the same counter at once (a cloned authenticator): one device is minted, the other is refused', async () => {
  const a = await register('gina')
  for (let round = 0; round < 3; round++) {
    const [o1, o2] = await Promise.all([signInStart('gina'), signInStart('gina')])
    const first = a.assert(o1)
    const clone = a.assert(o2, { counter: a.counter })
    const n = (await devices()).length
    const results = await Promise.all([call('POST', '/api/webauthn/auth/finish', first, null), call('POST', '/api/webauthn/auth/finish', clone, null)])
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 403], JSON.stringify(results.map((r) => r.body)))
    assert.equal(results.find((r) => r.status === 403)!.body.code, 'webauthn_counter_regression')
    assert.equal((await devices()).length, n + 1)
  }
})

test('revoking the registering device ends the passkey sign-in', async () => {
  const other = k.pairDevice('phone')
  const a = await register('frank', other.token)
  assert.equal((await call('DELETE', `/api/devices/${other.deviceId}`)).status, 200)
  const n = (await devices()).length
  const r = await call('POST', '/api/webauthn/auth/finish', a.assert(await signInStart('frank')), null)
  assert.equal(r.status, 403)
  assert.equal(r.body.code, 'webauthn_sign_in_refused')
  assert.equal((await devices()).length, n)
})

test('a wrong bearer is 401, not a sign-in', async () => {
  const r = await call('POST', '/api/webauthn/auth/start', { user_id: 'alice' }, 'rk_' + '0'.repeat(64))
  assert.equal(r.status, 401)
})

test('every sign-in is audited with the new device', async () => {
  const a = await register('gina')
  const r = await call('POST', '/api/webauthn/auth/finish', a.assert(await signInStart('gina')), null)
  const { events } = await k.kernel.audit.query({ event_type: 'auth_success', limit: 500 })
  assert.ok(events.some((e) => e.action?.command === `webauthn.sign_in ${a.credentialId} device ${r.body.device_id}`))
})

test('the auth limiter applies to anonymous sign-in attempts: the 11th in a minute is 429 with retry_after', async () => {
  const post = (payload: object) =>
    k.inject({ method: 'POST', url: '/api/webauthn/auth/finish', remoteAddress: '10.9.8.7', headers: { 'content-type': 'application/json' }, payload })
  const junk = { challenge: 'x', id: 'y', response: {} }
  let last
  for (let i = 0; i < 11; i++) last = await post(junk)
  assert.equal(last!.statusCode, 429)
  assert.ok(Number(last!.json().retry_after) > 0)
})

test('passkeys live in the plugin state, never under the workspace', async () => {
  const { readdirSync, existsSync } = await import('node:fs')
  const { join } = await import('node:path')
  assert.ok(existsSync(join(k.stateDir, 'plugins', 'webauthn', 'passkeys.db')))
  const ws = join(k.stateDir, 'workspace')
  const walk = (d: string): string[] =>
    existsSync(d) ? readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [e.name])) : []
  assert.ok(!walk(ws).some((f) => f.startsWith('passkeys')))
})
