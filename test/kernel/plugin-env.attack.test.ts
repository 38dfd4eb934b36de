/**
 * A plugin reads only the environment variables its manifest declares (by name, or through an
 * option the operator fills, `envFrom`), and never the kernel's own: not the admin token, not
 * through a route's secret, not by declaring it. Its `api.gateway` carries no state dir path.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel } from '@revka/plugin-testing'
import { cleanupTemp, fixture } from './helpers/kernel.js'

after(cleanupTemp)

const ADMIN = 'admin-token-that-must-stay-in-the-kernel-0123456789'
const env = { REVKA_GATEWAY_ADMIN_TOKEN: ADMIN, FX_DECLARED: 'declared-value', FX_UNDECLARED: 'undeclared-value', FX_LISTED: 'listed-value' }

test('declared and operator-listed names are readable; undeclared names and the admin token are not', async () => {
  const k = await startTestKernel({
    plugins: [],
    paths: [fixture('fx-env')],
    env,
    options: { 'fx-env': { extra: ['FX_LISTED', 'REVKA_GATEWAY_ADMIN_TOKEN'] } },
  })
  try {
    const read = async (name: string) => {
      const res = await k.inject({ url: `/fx/env/${name}`, headers: { authorization: `Bearer ${k.token}` } })
      assert.equal(res.statusCode, 200)
      return res.json()
    }
    assert.deepEqual(await read('FX_DECLARED'), { value: 'declared-value', stateDir: false })
    assert.deepEqual(await read('FX_LISTED'), { value: 'listed-value', stateDir: false })
    assert.deepEqual(await read('FX_UNSET_BUT_NOT_DECLARED'), { error: 'REVKA_ERR_ENV_UNDECLARED', stateDir: false })
    assert.deepEqual(await read('FX_UNDECLARED'), { error: 'REVKA_ERR_ENV_UNDECLARED', stateDir: false })
    // listed by the operator's option, still the kernel's
    assert.deepEqual(await read('REVKA_GATEWAY_ADMIN_TOKEN'), { error: 'REVKA_ERR_ENV_RESERVED', stateDir: false })
    assert.deepEqual(await read('REVKA_AUDIT_SIGNING_KEY'), { error: 'REVKA_ERR_ENV_RESERVED', stateDir: false })
  } finally {
    await k.stop()
  }
})

test('a route whose secret is an undeclared or kernel variable fails setup: no route, nothing verified', async () => {
  for (const [name, code] of [
    ['FX_UNDECLARED', 'REVKA_ERR_ENV_UNDECLARED'],
    ['REVKA_GATEWAY_ADMIN_TOKEN', 'REVKA_ERR_ENV_RESERVED'],
  ]) {
    const k = await startTestKernel({ plugins: [], paths: [fixture('fx-env')], env, options: { 'fx-env': { secret_env: name } }, allowFailed: ['fx-env'] })
    try {
      const p = k.plugin('fx-env')!
      assert.equal(p.status, 'failed', name)
      assert.match(String(p.diagnostic), new RegExp(code))
      const res = await k.inject({ method: 'POST', url: '/fx/env/hook', payload: '{}', headers: { 'content-type': 'application/json', 'x-sig': 'x' } })
      assert.notEqual(res.statusCode, 200)
      assert.ok(!res.body.includes(ADMIN))
    } finally {
      await k.stop()
    }
  }
})

test('a manifest declaring the admin token is refused before the plugin is imported', async () => {
  const imported = Symbol.for('revka.fx-env-reserved.imported')
  const k = await startTestKernel({ plugins: [], paths: [fixture('fx-env-reserved')], env, allowFailed: ['fx-env-reserved'] })
  try {
    const p = k.plugin('fx-env-reserved')
    assert.ok(p && p.status !== 'started')
    assert.match(String(p.diagnostic), /REVKA_ERR_MANIFEST: "env" declares REVKA_GATEWAY_ADMIN_TOKEN/)
    assert.equal((globalThis as Record<symbol, unknown>)[imported], undefined, 'its code never ran')
    const res = await k.inject({ url: '/fx/env-reserved' })
    assert.equal(res.statusCode, 404)
    assert.ok(!res.body.includes(ADMIN))
  } finally {
    await k.stop()
  }
})
