/**
 * Failure containment: a plugin that throws on import, has invalid options, throws in setup or in
 * start, or outlives its start timeout is marked failed with a diagnostic. Everything else keeps
 * serving, /health says "degraded" and names it, and its routes answer 503 plugin_unavailable with
 * Retry-After instead of vanishing.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { startTestKernel } from '@revka/plugin-testing'
import { cleanupTemp, fixture, tempDir } from './helpers/kernel.js'

after(cleanupTemp)

const BROKEN = ['fx-throw-import', 'fx-bad-config', 'fx-throw-setup', 'fx-throw-start', 'fx-slow-start']

test('each broken plugin fails alone while the gateway keeps serving', async (t) => {
  const marker = join(tempDir(), 'bad-config-imported')
  process.env.REVKA_FX_MARKER_CONFIG = marker
  const started = Date.now()
  const k = await startTestKernel({
    plugins: ['status'],
    paths: [fixture('fx-owner'), ...BROKEN.map(fixture)],
    allowFailed: BROKEN,
    options: { 'fx-bad-config': { greeting: 42 } },
    startTimeoutMs: 300,
  })
  try {
    const bootMs = Date.now() - started
    const health = (await k.inject({ url: '/health' })).json()

    const failedWith = (id: string, pattern: RegExp) => {
      const p = k.plugin(id)!
      assert.equal(p.status, 'failed', `${id} is ${p.status}`)
      assert.match(p.diagnostic ?? '', pattern)
      // /health names the component and carries the same error
      const comp = health.runtime.components[`plugin:${id}`]
      assert.equal(comp.status, 'error')
      assert.equal(comp.last_error, p.diagnostic)
    }

    await t.test('a throw at import time', () => {
      failedWith('fx-throw-import', /^import of fx-throw-import threw: fx-throw-import exploded at import/)
    })

    await t.test('options that do not match the configSchema, refused before import', () => {
      failedWith('fx-bad-config', /^REVKA_ERR_PLUGIN_CONFIG: options for fx-bad-config are invalid: .*\/greeting must be string/)
      assert.equal(existsSync(marker), false, 'the plugin was imported although its options were invalid')
    })

    await t.test('a throw in setup after declaring a route', () => {
      failedWith('fx-throw-setup', /^setup of fx-throw-setup threw: fx-throw-setup exploded in setup/)
    })

    await t.test('a throw in start', () => {
      failedWith('fx-throw-start', /^start of fx-throw-start threw: fx-throw-start exploded in start/)
    })

    await t.test('a start slower than the start timeout', () => {
      failedWith('fx-slow-start', /^REVKA_ERR_PLUGIN_TIMEOUT: start of fx-slow-start exceeded 300 ms/)
      assert.ok(bootMs < 5000, `start waited ${bootMs} ms for a plugin that was given 300 ms`)
    })

    await t.test("the failed plugins' routes answer 503 plugin_unavailable with Retry-After", async () => {
      for (const [url, id] of [
        ['/fx/setup-fail', 'fx-throw-setup'],
        ['/fx/start-fail', 'fx-throw-start'],
        ['/fx/slow-start', 'fx-slow-start'],
      ]) {
        const res = await k.inject({ url })
        assert.equal(res.statusCode, 503, url)
        assert.equal(res.json().code, 'plugin_unavailable')
        assert.equal(typeof res.json().error, 'string')
        assert.ok(res.json().error.includes(id), res.json().error)
        assert.ok(Number(res.headers['retry-after']) > 0, `${url} has no Retry-After header`)
      }
    })

    await t.test('healthy plugins serve and /health reports degraded', async () => {
      const owned = await k.inject({ url: '/fx/owned' })
      assert.equal(owned.statusCode, 200)
      assert.deepEqual(owned.json(), { owner: 'fx-owner' })
      assert.equal(k.plugin('fx-owner')!.status, 'started')
      assert.equal(health.status, 'degraded')
      assert.equal(health.runtime.components['plugin:fx-owner'].status, 'ok')
      assert.equal(health.runtime.components['plugin:status'].status, 'ok')
    })
  } finally {
    await k.stop()
    delete process.env.REVKA_FX_MARKER_CONFIG
  }
})

test('with every plugin healthy /health says ok (the degraded verdict is earned)', async () => {
  const k = await startTestKernel({ plugins: ['status'], paths: [fixture('fx-owner')] })
  try {
    const health = await k.inject({ url: '/health' })
    assert.equal(health.statusCode, 200)
    assert.equal(health.json().status, 'ok')
  } finally {
    await k.stop()
  }
})
