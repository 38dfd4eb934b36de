/**
 * Manifest first: the compatibility verdict and the enabled flag come from revka.plugin.json alone.
 * An incompatible or disabled plugin is reported and its code never runs. The fixtures write a
 * marker file at module top level, so "never imported" is something the test can see.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PLUGIN_API_VERSION } from '@revka/plugin-sdk'
import { startTestKernel } from '@revka/plugin-testing'
import { cleanupTemp, fixture, makeKernel, info, tempDir } from './helpers/kernel.js'

after(cleanupTemp)

test('a plugin built for API ^9 is reported incompatible with both versions and is never imported', async () => {
  const marker = join(tempDir(), 'incompatible-imported')
  process.env.REVKA_FX_MARKER_INCOMPATIBLE = marker
  const k = await startTestKernel({ plugins: ['status'], paths: [fixture('fx-incompatible')], allowFailed: ['fx-incompatible'] })
  try {
    const p = k.plugin('fx-incompatible')!
    assert.equal(p.status, 'incompatible')
    assert.match(p.diagnostic ?? '', /^REVKA_ERR_INCOMPATIBLE/)
    assert.ok(p.diagnostic!.includes('^9.0.0'), `the plugin's range is missing from: ${p.diagnostic}`)
    assert.ok(p.diagnostic!.includes(PLUGIN_API_VERSION), `the kernel's version is missing from: ${p.diagnostic}`)
    assert.equal(existsSync(marker), false, 'the incompatible plugin was imported')

    // its route was never declared, and the rest of the gateway serves, reporting the refusal
    assert.equal((await k.inject({ url: '/fx/incompatible' })).statusCode, 404)
    const health = await k.inject({ url: '/health' })
    assert.equal(health.statusCode, 200)
    const comp = health.json().runtime.components['plugin:fx-incompatible']
    assert.equal(comp.status, 'error')
    assert.match(comp.last_error, /\^9\.0\.0/)
  } finally {
    await k.stop()
    delete process.env.REVKA_FX_MARKER_INCOMPATIBLE
  }
  // control: the marker does work, so its absence above means something
  process.env.REVKA_FX_MARKER_INCOMPATIBLE = marker
  try {
    await import(pathToFileURL(join(fixture('fx-incompatible'), 'index.js')).href)
    assert.equal(existsSync(marker), true, 'importing the fixture should have written its marker')
  } finally {
    delete process.env.REVKA_FX_MARKER_INCOMPATIBLE
  }
})

test('a discovered but disabled plugin is listed as disabled and never imported', async () => {
  const marker = join(tempDir(), 'marker-imported')
  process.env.REVKA_FX_MARKER = marker
  const k = makeKernel({
    builtinDir: null,
    extraPaths: [fixture('fx-marker'), fixture('fx-owner')],
    pluginsDoc: { plugins: { 'fx-marker': { enabled: false }, 'fx-owner': {} } },
  })
  try {
    await k.start()
    const p = info(k, 'fx-marker')
    assert.equal(p.status, 'disabled')
    assert.equal(p.enabled, false)
    assert.equal(info(k, 'fx-owner').status, 'started')
    assert.equal(existsSync(marker), false, 'a disabled plugin was imported')
  } finally {
    await k.stop()
    delete process.env.REVKA_FX_MARKER
  }
})
