/**
 * On a `loopback|bearer` route the kernel admitted a local request as "loopback" before it looked
 * at the request's token, so a paired device calling from 127.0.0.1 was charged to the one quota
 * every tokenless local process shares (credentialKey → "loopback"), and a wrong token from
 * 127.0.0.1 was let in as loopback. Now a presented bearer (or service token) is verified first:
 * valid → the request is that credential's, wrong → 401 like anywhere else; only a request that
 * presents no credential is admitted as loopback. Over real sockets from 127.0.0.1.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { PROBE, probeState } from '../fixtures/auth-probe/index.js'
import { bearer, forgedToken, PROBE_DIR } from './support.js'

const CANVASES_PER_CREDENTIAL = 32

let k: TestKernel
before(async () => {
  k = await startTestKernel({ plugins: ['canvas', 'pairing', 'status'], paths: [PROBE_DIR], listen: true })
})
after(async () => {
  await k.stop()
})

async function post(id: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const r = await fetch(`${k.url}/api/canvas/${id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ content: id }),
  })
  return { status: r.status, body: await r.json() }
}

async function probe(headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const r = await fetch(`${k.url}${PROBE.loopbackOrBearer}`, { headers })
  return { status: r.status, body: await r.json() }
}

test('two devices calling from 127.0.0.1 each get their own canvas quota; tokenless loopback keeps its own', async (t) => {
  const alice = k.pairDevice('alice').token
  const bob = k.pairDevice('bob').token
  const statuses: number[] = []
  for (let i = 0; i <= CANVASES_PER_CREDENTIAL; i++) statuses.push((await post(`alice-${i}`, bearer(alice))).status)
  const bobFirst = await post('bob-0', bearer(bob))
  const local = await post('local-0')
  t.diagnostic(
    `alice: ${statuses.filter((s) => s === 201).length} created then ${statuses.at(-1)}; bob's first: ${bobFirst.status}; tokenless loopback's first: ${local.status}`,
  )
  assert.equal(statuses.filter((s) => s === 201).length, CANVASES_PER_CREDENTIAL)
  assert.equal(statuses.at(-1), 429, 'alice went past her own quota')
  assert.equal(bobFirst.status, 201, `bob was charged to someone else's quota: ${JSON.stringify(bobFirst.body)}`)
  assert.equal(local.status, 201, `tokenless loopback was charged to a device's quota: ${JSON.stringify(local.body)}`)
})

test('from 127.0.0.1 on a loopback|bearer route: a valid token is that credential, a wrong one is 401 and never reaches the handler', async () => {
  const dev = k.pairDevice('carol')
  const s = probeState(k.stateDir)

  const valid = await probe(bearer(dev.token))
  assert.equal(valid.status, 200)
  assert.equal(valid.body.via, 'bearer', `a local caller's valid token was ignored: ${JSON.stringify(valid.body)}`)
  assert.equal(valid.body.deviceId, dev.deviceId)

  const service = await probe({ 'x-revka-service-token': k.serviceToken })
  assert.equal(service.body.via, 'service')

  const before = s.counts['loopback-or-bearer']
  for (const headers of [bearer(forgedToken()), { 'x-revka-service-token': 'not-the-service-token' }]) {
    const wrong = await probe(headers)
    assert.equal(wrong.status, 401, `a wrong credential from 127.0.0.1 was admitted: ${JSON.stringify(wrong.body)}`)
    assert.equal(wrong.body.code, 'unauthorized')
  }
  assert.equal(s.counts['loopback-or-bearer'], before, 'the handler ran for a wrong credential')
  // nothing written either: a wrong token cannot create a canvas as loopback
  assert.equal((await post('forged-0', bearer(forgedToken()))).status, 401)
  const list = (await (await fetch(`${k.url}/api/canvas`, { headers: bearer(dev.token) })).json()) as { canvases: string[] }
  assert.ok(!list.canvases.includes('forged-0'))

  const none = await probe({})
  assert.equal(none.status, 200)
  assert.equal(none.body.via, 'loopback')
})
