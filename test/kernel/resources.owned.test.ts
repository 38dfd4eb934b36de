/**
 * What a plugin hands to `api.own` belongs to its tsyringe child container and is released when
 * the plugin stops or is disabled at runtime: its socket is closed (the peer sees it end) and its interval never fires again.
 * The scope releases newest first, keeps going past a resource whose close throws, and releases at
 * once a resource owned after it was released.
 */
import { test, mock, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Socket } from 'node:net'
import { once } from 'node:events'
import 'reflect-metadata'
import { container as root } from 'tsyringe'
import { startTestKernel } from '@revka/plugin-testing'
import { pluginContainer } from '../../kernel/registry/resource-scope.js'
import { cleanupTemp, fixture } from './helpers/kernel.js'

after(cleanupTemp)

const ticks = () => (globalThis as Record<symbol, number>)[Symbol.for('revka.fx-owns.ticks')]

test("a plugin's owned socket and interval are released when it stops", async () => {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as { port: number }).port
  const accepted = once(server, 'connection') as Promise<[Socket]>
  mock.timers.enable({ apis: ['setInterval'] })
  try {
    const k = await startTestKernel({ plugins: [], paths: [fixture('fx-owns')], options: { 'fx-owns': { port } } })
    const [peer] = await accepted
    const [hello] = await once(peer, 'data')
    assert.equal(String(hello), 'hello\n')
    mock.timers.tick(60_000)
    assert.equal(ticks(), 1, 'the interval runs while the plugin does')

    const ended = once(peer, 'end')
    await k.stop()
    await ended
    mock.timers.tick(10 * 60_000)
    assert.equal(ticks(), 1, 'the interval no longer fires after stop')
    peer.destroy()
  } finally {
    mock.timers.reset()
    server.close()
  }
})

test('disabling the plugin at runtime releases them too, while the gateway keeps running', async () => {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as { port: number }).port
  const accepted = once(server, 'connection') as Promise<[Socket]>
  mock.timers.enable({ apis: ['setInterval'] })
  try {
    const k = await startTestKernel({ plugins: [], paths: [fixture('fx-owns'), fixture('fx-owner')], options: { 'fx-owns': { port } } })
    try {
      const [peer] = await accepted
      await once(peer, 'data')
      const ended = once(peer, 'end')
      const before = ticks()
      const res = await k.kernel.plugins.disable('fx-owns')
      assert.equal(res.status, 'disabled')
      await ended
      mock.timers.tick(10 * 60_000)
      assert.equal(ticks(), before, 'the interval no longer fires after disable')
      assert.equal((await k.inject({ url: '/fx/owned' })).statusCode, 200, 'the other plugin still serves')
      peer.destroy()
    } finally {
      await k.stop()
    }
  } finally {
    mock.timers.reset()
    server.close()
  }
})

test('the container releases newest first, past a failing close, and a late resource at once', async () => {
  const order: string[] = []
  const errors: string[] = []
  const { scope, release } = pluginContainer(root, (e) => errors.push(e.message))
  scope.own({
    dispose: () => {
      order.push('first')
    },
  })
  scope.own({
    close: () => {
      throw new Error('close failed')
    },
  })
  scope.own({
    destroy: async () => {
      order.push('third')
    },
  })
  await release()
  assert.deepEqual(order, ['third', 'first'])
  assert.deepEqual(errors, ['close failed'])
  // a second release (stop after a disable) finds nothing left
  await release()
  assert.deepEqual(order, ['third', 'first'])
  scope.own({
    dispose: () => {
      order.push('late')
    },
  })
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(order, ['third', 'first', 'late'])
  assert.throws(() => scope.own({} as never), /api\.own: pass a timer/)
})
