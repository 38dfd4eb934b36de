/**
 * GET /api/audit and /api/audit/verify over the kernel's audit log (issue 21, DOMAIN §18): the
 * answer shapes and filters, what the kernel's auth writes (a failure, a lockout, deduplicated
 * successes), an entry a plugin records through the SDK seam, and a tampered line reported by
 * verify at its line.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'

const REMOTE = '203.0.113.9'
let k: TestKernel
before(async () => {
  k = await startTestKernel({ plugins: ['audit', 'pairing', 'status'] })
})
after(async () => {
  await k.stop()
})

const auth = () => ({ authorization: `Bearer ${k.token}` })
const list = async (query = '') => {
  const res = await k.inject({ url: `/api/audit${query}`, headers: auth() })
  assert.equal(res.statusCode, 200, res.body)
  return res.json()
}
const logFile = () => join(k.stateDir, 'kernel', 'audit', 'audit.log')

test('a wrong bearer is a 401 and an auth_failure entry naming the client, not the token', async () => {
  const wrong = 'rk_' + 'f'.repeat(64)
  assert.equal((await k.inject({ url: '/api/status', headers: { authorization: `Bearer ${wrong}` }, remoteAddress: REMOTE })).statusCode, 401)
  const { events } = await list('?event_type=auth_failure')
  const e = events.find((x: any) => x.actor?.username === REMOTE)
  assert.ok(e, 'no auth_failure entry for the client')
  assert.equal(e.action.command, 'auth.bearer')
  assert.equal(e.result.success, false)
  assert.equal(e.security.rate_limit_remaining, 9)
  assert.ok(!readFileSync(logFile(), 'utf8').includes(wrong), 'the presented token is never written')
})

test('ten failures lock the client out: the lockout is an entry with policy_violation', async () => {
  const client = '198.51.100.7'
  for (let i = 0; i < 10; i++) await k.inject({ url: '/api/status', headers: { 'x-revka-service-token': 'nope' }, remoteAddress: client })
  assert.equal((await k.inject({ url: '/api/status', headers: { 'x-revka-service-token': 'nope' }, remoteAddress: client })).statusCode, 429)
  const { events } = await list('?event_type=auth_failure&limit=500')
  const mine = events.filter((x: any) => x.actor?.username === client)
  assert.equal(mine.length, 10, 'each failure once, the refused 429 not at all')
  assert.match(mine[0].action.command, /^auth\.lockout service_token \(300s\)$/)
  assert.equal(mine[0].security.policy_violation, true)
})

test('successes are deduplicated: many authenticated GETs of one device make one auth_success', async () => {
  const dev = k.pairDevice('busy')
  for (let i = 0; i < 20; i++)
    assert.equal((await k.inject({ url: '/api/status', headers: { authorization: `Bearer ${dev.token}` }, remoteAddress: REMOTE })).statusCode, 200)
  const { events } = await list('?event_type=auth_success&limit=500')
  const mine = events.filter((x: any) => x.actor?.user_id === dev.deviceId && x.action.command === 'auth.bearer')
  assert.equal(mine.length, 1)
  assert.equal(mine[0].actor.channel, 'gateway')
})

test('a plugin records through api.audit: the channel is its id, the actor is the caller', async () => {
  const victim = k.pairDevice('to-revoke')
  const res = await k.inject({ method: 'DELETE', url: `/api/devices/${victim.deviceId}`, headers: auth(), remoteAddress: REMOTE })
  assert.equal(res.statusCode, 200)
  const { events } = await list('?event_type=security_event')
  const e = events.find((x: any) => x.action?.command === `device.revoke ${victim.deviceId}`)
  assert.ok(e)
  assert.equal(e.actor.channel, 'pairing')
  assert.equal(e.actor.username, REMOTE)
  assert.notEqual(e.actor.user_id, victim.deviceId)
})

test('GET /api/audit: newest first, limit (≤500, 0 allowed), event_type exact, since; bad event_type 400', async () => {
  const all = await list('?limit=500')
  assert.equal(all.audit_enabled, true)
  assert.equal(all.count, all.events.length)
  const seqs = all.events.map((e: any) => e.sequence)
  assert.deepEqual(
    seqs,
    [...seqs].sort((a, b) => b - a),
    'newest first',
  )
  assert.equal((await list('?limit=2')).events.length, 2)
  assert.deepEqual(await list('?limit=0'), { events: [], count: 0, audit_enabled: true })
  assert.equal((await list('?limit=9999')).events.length, all.count, 'above 500 is clamped, not refused')
  for (const e of (await list('?event_type=auth_success')).events) assert.equal(e.event_type, 'auth_success')
  assert.equal((await list(`?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).count, 0)
  assert.equal((await list('?since=not-a-date')).count, Math.min(50, all.count), 'an unparseable since is ignored')
  const bad = await k.inject({ url: '/api/audit?event_type=nope', headers: auth() })
  assert.equal(bad.statusCode, 400)
  assert.equal(bad.json().code, 'bad_request')
  assert.equal((await k.inject({ url: '/api/audit' })).statusCode, 401)
})

test('GET /api/audit/verify: verified with the count, then an edited line is reported at its line', async () => {
  const ok = (await k.inject({ url: '/api/audit/verify', headers: auth() })).json()
  assert.equal(ok.verified, true)
  assert.ok(ok.entry_count > 10)
  const lines = readFileSync(logFile(), 'utf8').trim().split('\n')
  // a semantic edit (the hash covers the parsed fields, so whitespace alone is not a change)
  lines[4] = lines[4].replace(/"event_id":"./, (m) => m.slice(0, -1) + (m.endsWith('0') ? '1' : '0'))
  writeFileSync(logFile(), lines.join('\n') + '\n')
  const res = await k.inject({ url: '/api/audit/verify', headers: auth() })
  assert.equal(res.statusCode, 200)
  const v = res.json()
  assert.equal(v.verified, false)
  assert.equal(v.line, 5)
  assert.match(v.error, /at line 5 of audit\.log/)
})

test("[security.audit] enabled = false: the contract's disabled answers, and nothing is written", async () => {
  const off = await startTestKernel({ plugins: ['audit'], config: '[security.audit]\nenabled = false\n' })
  try {
    const h = { authorization: `Bearer ${off.token}` }
    assert.deepEqual((await off.inject({ url: '/api/audit', headers: h })).json(), { events: [], count: 0, audit_enabled: false })
    assert.deepEqual((await off.inject({ url: '/api/audit/verify', headers: h })).json(), { verified: false, error: 'Audit logging not enabled' })
    assert.throws(() => readFileSync(join(off.stateDir, 'kernel', 'audit', 'audit.log')), /ENOENT/)
  } finally {
    await off.stop()
  }
})

test('pairing is on the chain: a wrong code (auth_failure), a pairing, a rotation and the re-pairing with its code', async () => {
  const client = '192.0.2.77'
  assert.equal((await k.inject({ method: 'POST', url: '/api/pair', payload: { code: '000000x' }, remoteAddress: client })).statusCode, 403)
  const code = k.kernel.auth.pairing.newCode()!
  const paired = (await k.inject({ method: 'POST', url: '/api/pair', payload: { code }, remoteAddress: client })).json()
  const rot = await k.inject({ method: 'POST', url: `/api/devices/${paired.device_id}/token/rotate`, headers: auth(), remoteAddress: REMOTE })
  assert.equal(rot.statusCode, 200)
  assert.equal(
    (await k.inject({ method: 'POST', url: '/api/pair', payload: { code: rot.json().pairing_code }, remoteAddress: client })).json().device_id,
    paired.device_id,
  )
  const { events } = await list('?limit=500')
  const mine = events.filter((e: any) => e.actor?.username === client || e.action?.command?.endsWith(paired.device_id)).reverse()
  assert.deepEqual(
    mine.map((e: any) => [e.event_type, e.action.command]),
    [
      ['auth_failure', 'auth.pairing_code'],
      ['auth_success', 'pair'],
      ['security_event', `device.rotate ${paired.device_id}`],
      ['auth_success', 'pair.after_rotation'],
    ],
  )
  assert.ok(!JSON.stringify(events).includes(paired.token), 'no token is ever written')
})

test('POST /admin/shutdown is on the chain before the gateway stops', async () => {
  const g = await startTestKernel({ plugins: ['admin', 'audit'] })
  let stopped: Promise<void> | undefined
  g.kernel.onShutdownRequested = (reason) => {
    stopped = g.kernel.stop(reason)
  }
  try {
    assert.equal((await g.inject({ method: 'POST', url: '/admin/shutdown' })).statusCode, 200)
    const { events } = await g.kernel.audit.query({ event_type: 'security_event' })
    assert.equal(events[0].action?.command, 'gateway.shutdown (POST /admin/shutdown)')
    assert.equal(events[0].actor?.channel, 'gateway')
  } finally {
    await new Promise((r) => setTimeout(r, 100))
    await stopped
    await g.stop()
  }
})
