/**
 * Routes are data the kernel checks: a route with no auth, one on a path another plugin owns, one
 * whose body limit is above the kernel's ceiling, and one added after the gateway listens are all
 * refused with a coded error naming the plugin. Only the offending plugin fails.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { cleanupTemp, fixture } from './helpers/kernel.js'

after(cleanupTemp)

type Mode = 'no-auth' | 'overlap' | 'too-big' | 'late'

/** fx-owner (GET /fx/owned) plus fx-route-decl declaring the route `mode` picks */
async function withDeclaration(mode: Mode, check: (k: TestKernel, diagnostic: string) => Promise<void> | void) {
  const k = await startTestKernel({
    builtins: false,
    paths: [fixture('fx-owner'), fixture('fx-route-decl')],
    options: { 'fx-route-decl': { mode } },
    allowFailed: ['fx-route-decl'],
  })
  try {
    const p = k.plugin('fx-route-decl')!
    assert.equal(p.status, 'failed', `mode ${mode}: fx-route-decl is ${p.status}`)
    await check(k, p.diagnostic ?? '')
    // the refusal is contained: the other plugin is untouched
    assert.equal(k.plugin('fx-owner')!.status, 'started')
    const owned = await k.inject({ url: '/fx/owned' })
    assert.equal(owned.statusCode, 200)
    assert.deepEqual(owned.json(), { owner: 'fx-owner' })
  } finally {
    await k.stop()
  }
}

test('a route without auth is refused with REVKA_ERR_ROUTE_NO_AUTH', async () => {
  await withDeclaration('no-auth', async (k, d) => {
    assert.match(d, /^REVKA_ERR_ROUTE_NO_AUTH: route GET \/fx\/no-auth of plugin fx-route-decl declares no auth/)
    // default deny: the route does not exist at all, not even as an open door
    assert.equal((await k.inject({ url: '/fx/no-auth' })).statusCode, 404)
  })
})

test('a route on a path another plugin owns is refused with REVKA_ERR_ROUTE_OVERLAP naming both', async () => {
  await withDeclaration('overlap', (_k, d) => {
    assert.match(d, /^REVKA_ERR_ROUTE_OVERLAP/)
    assert.ok(d.includes('plugin fx-route-decl'), d)
    assert.ok(d.includes('plugin fx-owner'), d)
    assert.ok(d.includes('/fx/owned'), d)
  })
})

test('a body limit above the kernel ceiling is refused with REVKA_ERR_ROUTE_LIMIT', async () => {
  await withDeclaration('too-big', async (k, d) => {
    assert.match(d, /^REVKA_ERR_ROUTE_LIMIT: route POST \/fx\/too-big of plugin fx-route-decl bodyLimit 67108864 is above the kernel ceiling/)
    assert.equal((await k.inject({ method: 'POST', url: '/fx/too-big', payload: 'x' })).statusCode, 404)
  })
})

test('a route added after listen (in onStart) is refused with REVKA_ERR_ROUTE_LATE', async () => {
  await withDeclaration('late', async (k, d) => {
    assert.match(d, /REVKA_ERR_ROUTE_LATE: plugin fx-route-decl added \/fx\/late after the gateway started listening/)
    assert.equal((await k.inject({ url: '/fx/late' })).statusCode, 404)
  })
})
