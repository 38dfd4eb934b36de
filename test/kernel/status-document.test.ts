/**
 * /api/status is answered from a document whose kernel-owned parts (plugin list, health snapshot)
 * are serialised once per change: the answer must still be exactly the document the status
 * waterfall built — live plugin fields fresh on every read, a plugin's new error visible on the
 * next read, a tap that replaces a kernel part or answers late handled like any other.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { KernelServices } from '@revka/plugin-sdk'
import { cleanupTemp, fixture } from './helpers/kernel.js'

after(cleanupTemp)

async function boot(mode: string) {
  return startTestKernel({ plugins: ['status'], paths: [fixture('fx-status-tap'), fixture('fx-owner')], options: { 'fx-status-tap': { mode } } })
}

async function read(k: TestKernel) {
  const res = await k.inject({ url: '/api/status', headers: { authorization: `Bearer ${k.token}` } })
  assert.equal(res.statusCode, 200)
  assert.match(String(res.headers['content-type']), /^application\/json/)
  return res.json()
}

/** the document minus what moves with the clock (snapshot time, uptime) */
function still(doc: any) {
  const { uptime_seconds: _u, health, ...rest } = JSON.parse(JSON.stringify(doc))
  delete health.uptime_seconds
  delete health.updated_at
  delete health.components.gateway.updated_at
  delete health.components.gateway.last_ok
  return { ...rest, health }
}

test('/api/status answers the waterfall document, with plugin fields live on every read', async () => {
  const k = await boot('count')
  try {
    const first = await read(k)
    assert.equal(first.fx_counter, 0)
    const started = first.plugins
      .filter((p: { status: string }) => p.status === 'started')
      .map((p: { id: string }) => p.id)
      .sort()
    assert.deepEqual(started, ['fx-owner', 'fx-status-tap', 'status'])
    assert.equal(first.health.components['plugin:fx-status-tap'].status, 'ok')
    assert.equal(first.version, k.kernel.version)
    // the same document the unserialised path builds
    assert.deepEqual(still(first), still(await k.kernel.service(KernelServices.status)!.document({ authenticated: true })))
    // within one snapshot's lifetime a plugin field still changes at once
    for (let i = 1; i <= 3; i++) {
      await k.inject({ method: 'POST', url: '/fx/status-tap/bump' })
      assert.equal((await read(k)).fx_counter, i)
    }
  } finally {
    await k.stop()
  }
})

test('a tap that throws leaves the document intact, and its error shows on the very next read', async () => {
  const k = await boot('throw')
  try {
    const first = await read(k)
    assert.equal(first.fx_counter, undefined)
    assert.equal(first.health.components['plugin:fx-owner'].status, 'ok')
    // no waiting out the snapshot's one-second lifetime: the failure changed what status shows
    const second = await read(k)
    assert.match(second.health.components['plugin:fx-status-tap'].last_error, /^hook status: fx-status-tap exploded/)
  } finally {
    await k.stop()
  }
})

test('a tap that replaces the health snapshot is answered with its version; an async tap is awaited', async () => {
  const k = await boot('replace-health')
  try {
    assert.deepEqual((await read(k)).health, { replaced: true })
  } finally {
    await k.stop()
  }
  const a = await boot('async')
  try {
    await a.inject({ method: 'POST', url: '/fx/status-tap/bump' })
    const doc = await read(a)
    assert.equal(doc.fx_async, 1)
    assert.equal(doc.health.components['plugin:fx-status-tap'].status, 'ok')
  } finally {
    await a.stop()
  }
})
