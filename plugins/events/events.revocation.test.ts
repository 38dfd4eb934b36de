import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel } from '@revka/plugin-testing'
import { openSse, waitFor } from './test-sse-client.js'

test('revoking a device ends its open event and log streams at once; its token no longer opens one', async () => {
  const k = await startTestKernel({ plugins: ['events', 'pairing'], options: { events: { logPollMs: 50 } } })
  try {
    const tablet = k.pairDevice('tablet')
    const events = await openSse(`${k.url}/api/events?token=${tablet.token}`)
    const logs = await openSse(`${k.url}/api/daemon/logs?token=${tablet.token}`)
    // a stream of another device must survive the revocation
    const other = await openSse(`${k.url}/api/events`, { authorization: `Bearer ${k.token}` })
    try {
      assert.equal(events.status, 200)
      assert.equal(logs.status, 200)
      const e = k.kernel.events.emit('agent_start', { provider: 'p', model: 'm' })
      assert.equal((await events.nextEvent()).id, String(e.id))

      const res = await fetch(`${k.url}/api/devices/${tablet.deviceId}`, { method: 'DELETE', headers: { authorization: `Bearer ${k.token}` } })
      assert.equal(res.status, 200)
      await res.arrayBuffer()

      const last = await events.nextEvent((j) => j.type === 'error')
      assert.equal(last.json.code, 'token_revoked')
      await events.ended
      await logs.ended
      assert.ok(events.isEnded() && logs.isEnded())

      const after = k.kernel.events.emit('agent_end', { provider: 'p', model: 'm', duration_ms: 1, tokens_used: 0, cost_usd: 0 })
      assert.equal((await other.nextEvent((j) => j.id === after.id)).id, String(after.id))
      assert.equal(other.isEnded(), false)

      const again = await openSse(`${k.url}/api/events?token=${tablet.token}`)
      assert.equal(again.status, 401)
      assert.equal(JSON.parse(again.body).code, 'unauthorized')

      const status = () => k.kernel.auth.connections.count()
      await waitFor(() => status() === 1, 3000, "only the other device's stream to remain")
    } finally {
      events.close()
      logs.close()
      other.close()
    }
  } finally {
    await k.stop()
  }
})
