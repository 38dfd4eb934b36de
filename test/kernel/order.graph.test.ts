/**
 * Order by declared dependencies: providers set up and start before the plugins that require them
 * and stop after them. A cycle, a missing provider or two providers of one service fail the
 * plugins involved with a named error while the rest of the gateway keeps serving.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { cleanupTemp, fixture, tempDir } from './helpers/kernel.js'

after(cleanupTemp)

test('plugins start in dependency order and stop in reverse', async () => {
  const log = join(tempDir(), 'order.log')
  writeFileSync(log, '')
  // a requires b's service, b requires c's: alphabetical order would be exactly wrong
  const k = await startTestKernel({
    builtins: false,
    paths: [fixture('fx-order-a'), fixture('fx-order-b'), fixture('fx-order-c')],
    options: { 'fx-order-a': { log }, 'fx-order-b': { log }, 'fx-order-c': { log } },
  })
  let stopped = false
  try {
    for (const id of ['fx-order-a', 'fx-order-b', 'fx-order-c']) assert.equal(k.plugin(id)!.status, 'started', k.plugin(id)!.diagnostic)
    await k.stop()
    stopped = true
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [
      'fx-order-c:setup',
      'fx-order-b:setup',
      'fx-order-a:setup',
      // each start could read its provider's service, so the provider was really there first
      'fx-order-c:start',
      'fx-order-b:start(base)',
      'fx-order-a:start(mid)',
      'fx-order-a:stop',
      'fx-order-b:stop',
      'fx-order-c:stop',
    ])
  } finally {
    if (!stopped) await k.stop()
  }
})

/** boot status + fx-owner + the given fixtures, run `check`, and prove the gateway still serves */
async function withBrokenGraph(ids: string[], check: (k: TestKernel) => Promise<void> | void): Promise<void> {
  const k = await startTestKernel({ plugins: ['status'], paths: [fixture('fx-owner'), ...ids.map(fixture)], allowFailed: ids })
  try {
    await check(k)
    const owned = await k.inject({ url: '/fx/owned' })
    assert.equal(owned.statusCode, 200)
    assert.deepEqual(owned.json(), { owner: 'fx-owner' })
    const health = await k.inject({ url: '/health' })
    assert.equal(health.statusCode, 200)
    assert.equal(health.json().status, 'degraded')
    for (const id of ids) assert.equal(health.json().runtime.components[`plugin:${id}`].status, 'error')
  } finally {
    await k.stop()
  }
}

test('a dependency cycle fails both plugins with REVKA_ERR_DEPENDENCY_CYCLE naming them', async () => {
  await withBrokenGraph(['fx-cycle-a', 'fx-cycle-b'], async (k) => {
    for (const id of ['fx-cycle-a', 'fx-cycle-b']) {
      const p = k.plugin(id)!
      assert.equal(p.status, 'failed')
      assert.match(p.diagnostic ?? '', /^REVKA_ERR_DEPENDENCY_CYCLE/)
      assert.ok(p.diagnostic!.includes('fx-cycle-a') && p.diagnostic!.includes('fx-cycle-b'), p.diagnostic)
    }
    assert.equal((await k.inject({ url: '/fx/cycle-a' })).statusCode, 404, 'a plugin in a cycle must not be set up')
  })
})

test('a missing provider fails the plugin with REVKA_ERR_MISSING_PROVIDER naming the service', async () => {
  await withBrokenGraph(['fx-needs-missing'], (k) => {
    const p = k.plugin('fx-needs-missing')!
    assert.equal(p.status, 'failed')
    assert.match(p.diagnostic ?? '', /^REVKA_ERR_MISSING_PROVIDER/)
    assert.ok(p.diagnostic!.includes('"fx-nowhere"'), p.diagnostic)
  })
})

test('two providers of one service both fail with REVKA_ERR_DUPLICATE_PROVIDER', async () => {
  await withBrokenGraph(['fx-dup-a', 'fx-dup-b'], (k) => {
    for (const id of ['fx-dup-a', 'fx-dup-b']) {
      const p = k.plugin(id)!
      assert.equal(p.status, 'failed')
      assert.match(p.diagnostic ?? '', /^REVKA_ERR_DUPLICATE_PROVIDER/)
      assert.ok(p.diagnostic!.includes('"fx-shared"'), p.diagnostic)
      assert.ok(p.diagnostic!.includes('fx-dup-a') && p.diagnostic!.includes('fx-dup-b'), p.diagnostic)
    }
  })
})
