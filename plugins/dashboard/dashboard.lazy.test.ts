/**
 * @fastify/static (with @fastify/send, glob and the MIME table, ~120 ms of imports) is loaded by
 * the first file reply, not by the start: a gateway that serves the page but no asset yet, or a
 * headless one, never pays for it.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { startTestKernel } from '@revka/plugin-testing'
import { FIXTURE_WEB_ROOT, rawGet } from './test-support.js'

const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('/node_modules/@fastify/static/'))

test('the static file sender is loaded on the first asset, not at start', async () => {
  const k = await startTestKernel({ plugins: ['dashboard'], env: { REVKA_WEB_ROOT: FIXTURE_WEB_ROOT }, listen: true })
  try {
    assert.equal((await rawGet(k.url!, '/dashboard')).status, 200)
    assert.equal(loaded(), false, 'the start or the page loaded @fastify/static')
    assert.equal((await rawGet(k.url!, '/_app/assets/app.js')).status, 200)
    assert.equal(loaded(), true)
  } finally {
    await k.stop()
  }
})
