/**
 * Issue 18, passkeys on PostgreSQL: a passkey registered through A signs in through B, a ceremony
 * whose options came from one node finishes on the other (challenges are shared and single use),
 * the sign counter is stored once and never goes backwards when two nodes verify at once, the
 * per-user cap holds when both nodes register at its edge, and a lost PostgreSQL is 503
 * `cluster_unavailable` on the webauthn routes, which recover alone. The authenticator is the
 * software one the plugin's own tests use (real P-256 signatures, what a browser would send).
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { killAllChildren, type GatewayChild } from '../reliability/support/gateway-child.js'
import { ROOT } from '../reliability/support/builtins.js'
import { TestAuthenticator } from '../../plugins/webauthn/test-authenticator.js'
import { MAX_CREDENTIALS_PER_USER } from '../../plugins/webauthn/credential-store.js'
import { MAX_PENDING_ANONYMOUS } from '../../plugins/webauthn/challenges.js'
import { bearer, engines, json, pairVia, startNode, until } from './support.js'

const ORIGIN = 'http://localhost:5173'
const CONFIG = `\n[security.webauthn]\nenabled = true\nrp_id = "localhost"\nrp_origin = "${ORIGIN}"\nallow_sign_in = true\n`
/** this run's users: the suite's files share one PostgreSQL */
const RUN = randomBytes(4).toString('hex')
let A: GatewayChild
let B: GatewayChild
let db: pg.Pool
let token: string

before(async () => {
  db = new pg.Pool({ connectionString: engines().pg, max: 2 })
  db.on('error', () => {})
  A = await startNode('wa-a', { cluster: CONFIG })
  B = await startNode('wa-b', { cluster: CONFIG })
  token = (await pairVia(A, A, 'passkey owner')).token
})
after(async () => {
  await killAllChildren()
  await db?.query('DELETE FROM webauthn_credentials WHERE user_id LIKE $1', [`%-${RUN}`]).catch(() => {})
  await db?.end()
})

const post = (node: GatewayChild, path: string, body: unknown, auth: string | null = token) =>
  json(`${node.url}/api/webauthn/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(auth ? bearer(auth) : {}) },
    body: JSON.stringify(body),
  })
const rows = async (userId: string) =>
  (await db.query('SELECT id, counter::int AS counter, last_used_at FROM webauthn_credentials WHERE user_id = $1', [userId])).rows

/** register a new software passkey for `userId`: options from `start`, attestation to `finish` */
async function register(userId: string, start: GatewayChild, finish: GatewayChild) {
  const a = new TestAuthenticator('localhost', ORIGIN)
  const opts = await post(start, 'register/start', { user_id: userId, user_name: userId })
  assert.equal(opts.status, 200, JSON.stringify(opts.body))
  return { a, res: await post(finish, 'register/finish', a.attest(opts.body, {}, 'cluster key')) }
}

test('registered through A, listed on B; options from A, assertion verified on B; the counter is stored once and the challenge used once', async () => {
  const user = `alice-${RUN}`
  const { a, res } = await register(user, A, A)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  const listed = await json(`${B.url}/api/webauthn/credentials?user_id=${user}`, { headers: bearer(token) })
  assert.equal(listed.body.count, 1)
  assert.equal(listed.body.credentials[0].credential_id, a.credentialId)

  const opts = await post(A, 'auth/start', { user_id: user })
  assert.equal(opts.status, 200, JSON.stringify(opts.body))
  const assertion = a.assert(opts.body)
  const ok = await post(B, 'auth/finish', assertion)
  assert.equal(ok.status, 200, JSON.stringify(ok.body))
  assert.equal(ok.body.status, 'authenticated')
  const stored = await rows(user)
  assert.equal(stored.length, 1)
  assert.equal(stored[0].counter, 1)
  assert.ok(stored[0].last_used_at)

  // the same challenge again, on either node: gone, and nothing moves
  for (const n of [A, B]) {
    const again = await post(n, 'auth/finish', assertion)
    assert.equal(again.status, 400)
    assert.equal(again.body.code, 'webauthn_invalid_challenge')
  }
  assert.deepEqual(await rows(user), stored)

  // a registration started on B finishes on A; the same passkey registered again (through B) is refused
  const other = await register(user, B, A)
  assert.equal(other.res.status, 200, JSON.stringify(other.res.body))
  const opts2 = await post(B, 'register/start', { user_id: user, user_name: user })
  const dup = await post(A, 'register/finish', other.a.attest(opts2.body))
  assert.equal(dup.status, 409)
  assert.equal(dup.body.code, 'webauthn_credential_exists')
  assert.equal((await rows(user)).length, 2)
})

test('an expired challenge, issued on A, is refused on B and stores nothing', async () => {
  const user = `late-${RUN}`
  const a = new TestAuthenticator('localhost', ORIGIN)
  const opts = await post(A, 'register/start', { user_id: user, user_name: user })
  await db.query('UPDATE webauthn_challenges SET expires_at = 0 WHERE challenge = $1', [opts.body.challenge])
  const late = await post(B, 'register/finish', a.attest(opts.body))
  assert.equal(late.status, 400)
  assert.equal(late.body.code, 'webauthn_invalid_challenge')
  assert.equal((await rows(user)).length, 0)
})

test('passkey sign-in: options from B without a bearer, verified on A, mints a token that works on B', async () => {
  const user = `signin-${RUN}`
  const { a } = await register(user, B, B)
  const opts = await post(B, 'auth/start', {}, null)
  assert.equal(opts.status, 200, JSON.stringify(opts.body))
  const signIn = await post(A, 'auth/finish', a.assert(opts.body), null)
  assert.equal(signIn.status, 200, JSON.stringify(signIn.body))
  assert.ok(signIn.body.token)
  const listed = await json(`${B.url}/api/webauthn/credentials?user_id=${user}`, { headers: bearer(signIn.body.token) })
  assert.equal(listed.status, 200)
  assert.equal(listed.body.credentials[0].last_used_at !== null, true)
})

test('two assertions with the same counter verified on A and B at once: one passes, the other is refused, the counter is stored once', async () => {
  const user = `race-${RUN}`
  const { a } = await register(user, A, B)
  for (let round = 0; round < 5; round++) {
    const [o1, o2] = await Promise.all([post(A, 'auth/start', { user_id: user }), post(B, 'auth/start', { user_id: user })])
    const first = a.assert(o1.body)
    // a clone of the authenticator: the same counter, signed over another challenge
    const clone = a.assert(o2.body, { counter: a.counter })
    const results = await Promise.all([post(A, 'auth/finish', first), post(B, 'auth/finish', clone)])
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 403], JSON.stringify(results.map((r) => r.body)))
    assert.equal(results.find((r) => r.status === 403)!.body.code, 'webauthn_counter_regression')
    assert.equal((await rows(user))[0].counter, a.counter)
  }
  // one challenge finished on both nodes at once: exactly one takes it
  const o = await post(A, 'auth/start', { user_id: user })
  const same = a.assert(o.body)
  const both = await Promise.all([post(A, 'auth/finish', same), post(B, 'auth/finish', same)])
  assert.deepEqual(both.map((r) => r.status).sort(), [200, 400])
  assert.equal((await rows(user))[0].counter, a.counter)
})

test(`registrations racing on A and B at the per-user cap (${MAX_CREDENTIALS_PER_USER}) leave exactly the cap`, async () => {
  const user = `cap-${RUN}`
  const room = 2
  await db.query(
    `INSERT INTO webauthn_credentials (id, user_id, user_name, public_key, counter, transports, label, created_at, device_id)
     SELECT 'seed-' || $1 || '-' || i, $1, $1, '\\x00'::bytea, 0, '[]', 'seed', now()::text, NULL FROM generate_series(1, $2) AS i`,
    [user, MAX_CREDENTIALS_PER_USER - room],
  )
  const starts = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => {
      const a = new TestAuthenticator('localhost', ORIGIN)
      const opts = await post(i % 2 ? A : B, 'register/start', { user_id: user, user_name: user })
      return { a, opts: opts.body, node: i % 2 ? B : A }
    }),
  )
  const codes = (await Promise.all(starts.map((s) => post(s.node, 'register/finish', s.a.attest(s.opts))))).map((r) => [r.status, r.body.code])
  assert.equal(codes.filter(([s]) => s === 200).length, room, JSON.stringify(codes))
  assert.equal(codes.filter(([s, c]) => s === 409 && c === 'webauthn_too_many_credentials').length, 8 - room, JSON.stringify(codes))
  assert.equal((await rows(user)).length, MAX_CREDENTIALS_PER_USER)
})

test(`anonymous sign-in starts racing on A and B at the pending cap (${MAX_PENDING_ANONYMOUS}) stop at it`, async () => {
  const room = 2
  const { rows: pending } = await db.query('SELECT count(*)::int AS n FROM webauthn_challenges WHERE owner IS NULL AND expires_at > $1', [Date.now()])
  await db.query(
    `INSERT INTO webauthn_challenges (challenge, ceremony, expires_at)
     SELECT 'seed-' || $1 || '-' || i, 'auth', $2 FROM generate_series(1, $3) AS i`,
    [RUN, Date.now() + 60_000, MAX_PENDING_ANONYMOUS - room - pending[0].n],
  )
  try {
    const r = await Promise.all(Array.from({ length: 6 }, (_, i) => post(i % 2 ? A : B, 'auth/start', {}, null)))
    const codes = r.map((x) => [x.status, x.body.code])
    assert.equal(codes.filter(([s]) => s === 200).length, room, JSON.stringify(codes))
    assert.equal(codes.filter(([s, c]) => s === 429 && c === 'webauthn_too_many_challenges').length, 6 - room, JSON.stringify(codes))
    // a paired device is not starved by strangers
    assert.equal((await post(A, 'auth/start', { user_id: `alice-${RUN}` })).status, 200)
  } finally {
    await db.query(`DELETE FROM webauthn_challenges WHERE owner IS NULL`)
  }
})

test('after B restarts, a passkey registered through A still signs in through B', async () => {
  const user = `restart-${RUN}`
  const { a } = await register(user, A, A)
  B.signal('SIGTERM')
  await B.exited
  B = await startNode('wa-b', { cluster: CONFIG })
  const o = await post(A, 'auth/start', { user_id: user })
  const ok = await post(B, 'auth/finish', a.assert(o.body))
  assert.equal(ok.status, 200, JSON.stringify(ok.body))
  assert.equal((await rows(user))[0].counter, 1)
})

test('without PostgreSQL the webauthn routes answer 503 cluster_unavailable, and recover alone', async () => {
  const user = `outage-${RUN}`
  const { a } = await register(user, A, A)
  const opts = await post(A, 'auth/start', { user_id: user })
  // asynchronous: this process holds connections too, and must see them close while the engine stops
  const pgctl = (action: 'stop' | 'start') => promisify(execFile)('bash', [join(ROOT, 'scripts', 'cluster-engines.sh'), `pg-${action}`, engines().dir])
  await pgctl('stop')
  try {
    for (const res of [
      await post(A, 'register/start', { user_id: user, user_name: user }),
      await post(B, 'auth/start', { user_id: user }),
      await post(B, 'auth/start', {}, null),
      await post(B, 'auth/finish', a.assert(opts.body)),
      await json(`${A.url}/api/webauthn/credentials?user_id=${user}`, { headers: bearer(token) }),
      await json(`${B.url}/api/webauthn/credentials/${a.credentialId}`, { method: 'DELETE', headers: bearer(token) }),
    ]) {
      assert.equal(res.status, 503, JSON.stringify(res.body))
      assert.equal(res.body.code, 'cluster_unavailable')
      assert.ok(Number(res.headers.get('retry-after')) > 0)
    }
  } finally {
    await pgctl('start')
  }
  await until('B starts ceremonies again', async () => (await post(B, 'auth/start', { user_id: user })).status === 200, 30_000)
  assert.equal((await rows(user))[0].counter, 0, 'the assertion refused during the outage stored nothing')
  const o = await post(B, 'auth/start', { user_id: user })
  const ok = await post(A, 'auth/finish', a.assert(o.body))
  assert.equal(ok.status, 200, JSON.stringify(ok.body))
  assert.equal((await rows(user))[0].counter, a.counter)
})
