/**
 * Cluster mode is opt-in (issue 18): without `[cluster]` a gateway loads neither engine client,
 * and a `[cluster]` table that is incomplete or points at engines that are not there refuses the
 * start with a coded error instead of running half-shared. The cluster itself is tested against
 * real engines by `npm run test:cluster` (test/cluster/).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { startTestKernel } from '@revka/plugin-testing'

const require = createRequire(import.meta.url)
const engineModules = () => Object.keys(require.cache).filter((p) => /[\\/]node_modules[\\/](pg|pg-pool|ioredis)[\\/]/.test(p))

test('a single-node gateway loads neither pg nor ioredis and reports no cluster components', async () => {
  const k = await startTestKernel({ plugins: ['status', 'pairing', 'events'] })
  try {
    const health = (await k.inject({ url: '/health' })).json()
    assert.equal(health.status, 'ok')
    assert.deepEqual(
      Object.keys(health.runtime.components).filter((c) => c.startsWith('cluster:')),
      [],
    )
    assert.equal(k.kernel.cluster, undefined)
    assert.deepEqual(engineModules(), [])
  } finally {
    await k.stop()
  }
})

test('[cluster] without redis_url refuses the start, naming the key; still nothing loaded', async () => {
  await assert.rejects(
    startTestKernel({ plugins: ['status'], config: '[cluster]\npostgres_url = "postgres://127.0.0.1:1/x"\n' }),
    (e: Error) => /REVKA_ERR_CONFIG/.test(e.message) && /cluster\.redis_url/.test(e.message),
  )
  await assert.rejects(
    startTestKernel({ plugins: ['status'], config: '[cluster]\npostgres_url = "http://x"\nredis_url = "redis://127.0.0.1:1"\n' }),
    (e: Error) => /cluster\.postgres_url must start with postgres:\/\//.test(e.message),
  )
  assert.deepEqual(engineModules(), [])
})

test('[cluster] pointing at engines that are not there refuses the start with a coded error', async () => {
  // port 1 on loopback: nothing listens there, the connection is refused at once
  await assert.rejects(
    startTestKernel({
      plugins: ['status'],
      config: '[cluster]\npostgres_url = "postgres://revka@127.0.0.1:1/x"\nredis_url = "redis://127.0.0.1:1"\nnode_id = "t"\n',
    }),
    (e: Error) => /REVKA_ERR_CLUSTER_CONNECT|REVKA_ERR_CLUSTER_MIGRATE/.test(e.message),
  )
})
