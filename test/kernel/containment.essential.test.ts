/**
 * Essential plugins: a plugin whose manifest says `essential: true` may not fail quietly. Its
 * failure in setup aborts boot, its failure in start aborts listen, with REVKA_ERR_ESSENTIAL_PLUGIN
 * naming it and its own diagnostic.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { cleanupTemp, fixture, get, makeKernel } from './helpers/kernel.js'

after(cleanupTemp)

const kernelWith = (failAt?: 'setup' | 'start') =>
  makeKernel({
    builtinDir: null,
    extraPaths: [fixture('fx-essential'), fixture('fx-owner')],
    only: ['fx-essential', 'fx-owner'],
    options: { 'fx-essential': failAt ? { failAt } : {} },
  })

test('an essential plugin failing in setup aborts boot before the port opens', async () => {
  const k = kernelWith('setup')
  try {
    await assert.rejects(k.boot(), (e: Error) => {
      assert.match(e.message, /^REVKA_ERR_ESSENTIAL_PLUGIN: essential plugin fx-essential is failed/)
      assert.ok(e.message.includes('fx-essential refused to set up'), e.message)
      return true
    })
    assert.equal(k.app.server.listening, false)
  } finally {
    await k.stop()
  }
})

test('an essential plugin failing in start makes listen reject', async () => {
  const k = kernelWith('start')
  try {
    await k.boot()
    await assert.rejects(k.listen(), (e: Error) => {
      assert.match(e.message, /^REVKA_ERR_ESSENTIAL_PLUGIN: essential plugin fx-essential is failed/)
      assert.ok(e.message.includes('fx-essential refused to start'), e.message)
      return true
    })
  } finally {
    await k.stop()
  }
  assert.equal(k.app.server.listening, false, 'the port stays open after an aborted start')
})

test('a healthy essential plugin starts like any other', async () => {
  const k = kernelWith()
  try {
    await k.start()
    assert.deepEqual((await get(k, '/fx/essential')).json, { plugin: 'fx-essential' })
  } finally {
    await k.stop()
  }
})
