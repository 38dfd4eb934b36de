import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { startTestKernel } from '@revka/plugin-testing'
import { openSse, waitFor } from './test-sse-client.js'

const bearer = (t: string | null) => ({ authorization: `Bearer ${t}` })

function openSockets(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))))
}

/** a client that connects and then never reads a byte */
function openStalled(url: string, headers: Record<string, string>): Promise<http.ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      assert.equal(res.statusCode, 200)
      res.pause()
      resolve(req)
    })
    req.once('error', reject)
  })
}

test('a consumer that stops reading is dropped instead of growing memory; the server stays healthy', async () => {
  const maxBufferedBytes = 256 * 1024
  const k = await startTestKernel({
    plugins: ['events', 'status'],
    options: { events: { maxBufferedBytes, dropGraceMs: 100, keepAliveMs: 60_000 } },
  })
  const stalled = await openStalled(`${k.url}/api/events`, bearer(k.token))
  stalled.on('error', () => {})
  try {
    const subscribers = async () => (await k.inject({ url: '/api/status', headers: bearer(k.token) })).json().events.subscribers
    assert.equal(await subscribers(), 1)
    assert.equal(await openSockets(k.kernel.app.server), 1)

    // batches well under the limit, letting the loop run between them (a reading client would
    // keep up), until the server gives up on the client once the loopback socket buffers are full
    const blob = 'x'.repeat(32 * 1024)
    let emitted = 0
    while ((await subscribers()) === 1) {
      assert.ok(emitted < 8000, 'the stalled client was never dropped')
      for (let i = 0; i < 4; i++) k.kernel.events.emit('channel_event', { payload: { blob, i: emitted++ } })
      await new Promise((r) => setImmediate(r))
    }
    // far more than the limit went out before the drop: the kernel buffers took their share
    assert.ok(emitted * blob.length > 4 * maxBufferedBytes, `dropped after only ${emitted} events`)

    // the dropped response could never flush: after the grace period its socket is released too,
    // with the bytes that were queued for it
    await waitFor(async () => (await openSockets(k.kernel.app.server)) === 0, 3000, 'the dropped socket to be released')

    // healthy: new clients stream normally
    const fresh = await openSse(`${k.url}/api/events`, bearer(k.token))
    try {
      const e = k.kernel.events.emit('agent_start', { provider: 'p', model: 'm' })
      assert.equal((await fresh.nextEvent()).id, String(e.id))
      assert.equal(await subscribers(), 1)
    } finally {
      fresh.close()
    }
  } finally {
    stalled.destroy()
    await k.stop()
  }
})

test('a client that reads keeps up while another one stalls', async () => {
  const k = await startTestKernel({
    plugins: ['events', 'status'],
    options: { events: { maxBufferedBytes: 256 * 1024, dropGraceMs: 100 } },
  })
  const stalled = await openStalled(`${k.url}/api/events`, bearer(k.token))
  stalled.on('error', () => {})
  const reader = await openSse(`${k.url}/api/events`, bearer(k.token))
  try {
    const subscribers = async () => (await k.inject({ url: '/api/status', headers: bearer(k.token) })).json().events.subscribers
    const blob = 'y'.repeat(16 * 1024)
    let last = 0
    while ((await subscribers()) === 2) {
      assert.ok(last < 8000, 'the stalled client was never dropped')
      // small batches with a pause: a reading client drains between them
      for (let i = 0; i < 4; i++) last = k.kernel.events.emit('channel_event', { payload: { blob } }).id
      await new Promise((r) => setTimeout(r, 2))
    }
    await reader.nextEvent((j) => j.id === last, 5000)
    assert.equal(reader.isEnded(), false)
    // the reader got every event, in order
    const ids = reader.frames.filter((f) => f.data).map((f) => Number(f.id))
    for (let i = 1; i < ids.length; i++) assert.equal(ids[i], ids[i - 1] + 1)
  } finally {
    reader.close()
    stalled.destroy()
    await k.stop()
  }
})
