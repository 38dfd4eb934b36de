/**
 * Auth profiles (issue 21, contract DOMAIN.md §14): an encrypted store of provider credentials.
 * The secret is never readable at rest (the whole state dir is grepped for it, audit log and logs
 * included), lists show metadata only, resolve is service-token only and never cached, create is
 * behind the auth limiter, and every create, resolve and delete is on the audit chain.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualClock, startTestKernel, type TestKernel } from '@revka/plugin-testing'

const SECRET = 'sk-live-PROFILE-9c1e55aa77'
const REMOTE = '203.0.113.44'
const clock = new ManualClock()
let k: TestKernel
before(async () => {
  k = await startTestKernel({ plugins: ['auth-profiles'], clock })
})
after(async () => {
  await k.stop()
})

const bearer = () => ({ authorization: `Bearer ${k.token}` })
const create = (body: object, remoteAddress = REMOTE) =>
  k.inject({ method: 'POST', url: '/api/auth/profiles', headers: bearer(), payload: body, remoteAddress })
const list = async () => (await k.inject({ url: '/api/auth/profiles', headers: bearer() })).json().profiles as any[]
const dir = () => join(k.stateDir, 'plugins', 'auth-profiles')

function filesUnder(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(d, e.name)) : [join(d, e.name)]))
}

test('create answers 201 with the summary; the list shows metadata only, sorted by provider then name', async () => {
  const res = await create({ provider: 'openai', profile_name: 'work', token: SECRET, account_id: 'acct-1', kind: 'api_key' })
  assert.equal(res.statusCode, 201, res.body)
  const s = res.json()
  assert.deepEqual(Object.keys(s).sort(), ['account_id', 'created_at', 'expires_at', 'id', 'kind', 'profile_name', 'provider', 'updated_at', 'workspace_id'])
  assert.equal(s.id, 'openai:work')
  assert.equal(s.kind, 'token', 'api_key is stored as kind token')
  assert.equal((await create({ provider: ' anthropic ', profile_name: 'home', token: 'sk-ant-other-1' }, '127.0.0.1')).statusCode, 201)
  const profiles = await list()
  assert.deepEqual(
    profiles.map((p) => p.id),
    ['anthropic:home', 'openai:work'],
  )
  assert.ok(!JSON.stringify(profiles).includes(SECRET))
  assert.ok(profiles.every((p) => !('token' in p)))
})

test('nothing readable at rest: no file under the state dir holds the secret; key and store are 0600', async () => {
  for (const f of filesUnder(k.stateDir)) assert.ok(!readFileSync(f).includes(Buffer.from(SECRET)), `${f} holds the secret`)
  const doc = JSON.parse(readFileSync(join(dir(), 'auth-profiles.json'), 'utf8'))
  assert.match(doc.profiles['openai:work'].token, /^enc2:[0-9a-f]+$/)
  assert.equal(statSync(join(dir(), 'secret.key')).mode & 0o777, 0o600)
  assert.equal(statSync(join(dir(), 'auth-profiles.json')).mode & 0o777, 0o600)
})

test('resolve: service token only, the secret with Cache-Control: no-store; a bearer is 401', async () => {
  const url = '/api/auth/profiles/openai:work/resolve'
  assert.equal((await k.inject({ method: 'POST', url, headers: bearer() })).statusCode, 401)
  assert.equal((await k.inject({ method: 'POST', url })).statusCode, 401)
  const res = await k.inject({ method: 'POST', url, headers: { 'x-revka-service-token': k.serviceToken } })
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers['cache-control'], 'no-store')
  assert.deepEqual(res.json(), { token: SECRET, kind: 'token', provider: 'openai', profile_name: 'work', expires_at: null })
  const missing = await k.inject({ method: 'POST', url: '/api/auth/profiles/openai:nope/resolve', headers: { 'x-revka-service-token': k.serviceToken } })
  assert.equal(missing.statusCode, 404)
  assert.equal(missing.json().code, 'auth_profile_not_found')
})

test('a sealed value moved onto another profile does not open there (the id is bound in)', async () => {
  const file = join(dir(), 'auth-profiles.json')
  const before = readFileSync(file, 'utf8')
  const doc = JSON.parse(before)
  doc.profiles['anthropic:home'].token = doc.profiles['openai:work'].token
  writeFileSync(file, JSON.stringify(doc))
  try {
    const res = await k.inject({ method: 'POST', url: '/api/auth/profiles/anthropic:home/resolve', headers: { 'x-revka-service-token': k.serviceToken } })
    assert.equal(res.statusCode, 500)
    assert.equal(res.json().code, 'auth_store_load_failed')
    assert.ok(!res.body.includes(SECRET))
  } finally {
    writeFileSync(file, before)
  }
})

test('create refusals: missing fields, missing token, oauth, unknown kind, duplicate — nothing written', async () => {
  const file = join(dir(), 'auth-profiles.json')
  const before = readFileSync(file, 'utf8')
  const cases: Array<[object, number, string]> = [
    [{ profile_name: 'x', token: 't' }, 400, 'auth_profile_missing_fields'],
    [{ provider: 'a:b', profile_name: 'x', token: 't' }, 400, 'auth_profile_missing_fields'],
    [{ provider: 'p', profile_name: 'x', token: '  ' }, 400, 'auth_profile_missing_token'],
    [{ provider: 'p', profile_name: 'x', token: 't', kind: 'oauth' }, 400, 'auth_profile_oauth_unsupported'],
    [{ provider: 'p', profile_name: 'x', token: 't', kind: 'password' }, 400, 'auth_profile_invalid_kind'],
    [{ provider: 'openai', profile_name: 'work', token: 'other' }, 409, 'auth_profile_already_exists'],
  ]
  for (const [body, status, code] of cases) {
    const res = await create(body, '127.0.0.1')
    assert.equal(res.statusCode, status, JSON.stringify(body))
    assert.equal(res.json().code, code)
  }
  assert.equal(readFileSync(file, 'utf8'), before)
})

test('create is behind the auth limiter: 10 attempts a minute per client (successes count), then 429 + retry_after for 5 minutes; loopback is exempt', async () => {
  const client = '198.51.100.60'
  for (let i = 0; i < 10; i++) assert.equal((await create({ provider: 'lim', profile_name: `p${i}`, token: `t${i}` }, client)).statusCode, 201)
  const file = join(dir(), 'auth-profiles.json')
  const before = readFileSync(file, 'utf8')
  const refused = await create({ provider: 'lim', profile_name: 'p10', token: 't10' }, client)
  assert.equal(refused.statusCode, 429)
  assert.equal(refused.json().code, 'auth_profile_rate_limited')
  assert.ok(refused.json().retry_after > 0 && refused.json().retry_after <= 300)
  assert.equal(refused.headers['retry-after'], String(refused.json().retry_after))
  assert.equal(readFileSync(file, 'utf8'), before, 'a refused create writes nothing')
  assert.equal((await create({ provider: 'lim', profile_name: 'local', token: 't' }, '127.0.0.1')).statusCode, 201)
  clock.advance(301_000)
  assert.equal((await create({ provider: 'lim', profile_name: 'p10', token: 't10' }, client)).statusCode, 201)
})

test('delete: 204, then 404 auth_profile_not_found; create, resolve and delete are audited by name only', async () => {
  const del = await k.inject({ method: 'DELETE', url: '/api/auth/profiles/anthropic:home', headers: bearer() })
  assert.equal(del.statusCode, 204)
  assert.equal(del.body, '')
  const again = await k.inject({ method: 'DELETE', url: '/api/auth/profiles/anthropic:home', headers: bearer() })
  assert.equal(again.statusCode, 404)
  assert.equal(again.json().code, 'auth_profile_not_found')
  assert.ok(!(await list()).some((p) => p.id === 'anthropic:home'))
  const { events } = await k.kernel.audit.query({ event_type: 'security_event', limit: 500 })
  const cmds = events.filter((e) => e.actor?.channel === 'auth-profiles').map((e) => e.action!.command)
  for (const c of ['auth_profile.create openai:work', 'auth_profile.resolve openai:work', 'auth_profile.delete anthropic:home']) assert.ok(cmds.includes(c), c)
  assert.ok(!JSON.stringify(events).includes(SECRET))
})

test('after resolving, deleting and a stopped gateway: still no file under the state dir holds the secret', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'revka-auth-profiles-'))
  const again = await startTestKernel({ plugins: ['auth-profiles'], stateDir })
  try {
    assert.equal(
      (
        await again.inject({
          method: 'POST',
          url: '/api/auth/profiles',
          headers: { authorization: `Bearer ${again.token}` },
          payload: { provider: 'x', profile_name: 'y', token: SECRET },
        })
      ).statusCode,
      201,
    )
    assert.equal(
      (await again.inject({ method: 'POST', url: '/api/auth/profiles/x:y/resolve', headers: { 'x-revka-service-token': again.serviceToken } })).json().token,
      SECRET,
    )
  } finally {
    await again.stop()
  }
  try {
    for (const f of filesUnder(stateDir)) assert.ok(!readFileSync(f).includes(Buffer.from(SECRET)), `${f} holds the secret`)
  } finally {
    rmSync(stateDir, { recursive: true, force: true })
  }
})
