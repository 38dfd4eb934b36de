import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel } from '@revka/plugin-testing'
import { openSse, waitFor } from './test-sse-client.js'

const bearer = (t: string | null) => ({ authorization: `Bearer ${t}` })

test('each bus event arrives as an id: + data: frame, in order', async () => {
  const k = await startTestKernel({ plugins: ['events'] })
  try {
    const s = await openSse(`${k.url}/api/events`, bearer(k.token))
    try {
      assert.equal(s.status, 200)
      assert.match(String(s.headers['content-type']), /^text\/event-stream/)
      await s.next((f) => f.comment === 'connected')
      const sent = [
        k.kernel.events.emit('agent_start', { provider: 'openrouter', model: 'm1' }),
        k.kernel.events.emit('tool_call_start', { tool: 'shell' }),
        k.kernel.events.emit('agent_end', { provider: 'openrouter', model: 'm1', duration_ms: 5, tokens_used: 3, cost_usd: 0 }),
      ]
      for (const e of sent) {
        const f = await s.nextEvent()
        assert.equal(f.id, String(e.id))
        assert.deepEqual(f.json, e)
      }
      assert.deepEqual(
        s.frames.filter((f) => f.data).map((f) => Number(f.id)),
        sent.map((e) => e.id),
      )
    } finally {
      s.close()
    }
  } finally {
    await k.stop()
  }
})

test('?types= keeps only the listed event types', async () => {
  const k = await startTestKernel({ plugins: ['events'] })
  try {
    const s = await openSse(`${k.url}/api/events?types=tool_call,error`, bearer(k.token))
    try {
      k.kernel.events.emit('agent_start', { provider: 'p', model: 'm' })
      k.kernel.events.emit('tool_call', { tool: 'shell', duration_ms: 1, success: true })
      k.kernel.events.emit('llm_request', { provider: 'p', model: 'm' })
      k.kernel.events.emit('error', { component: 'agent', message: 'boom' })
      assert.equal((await s.nextEvent()).json.type, 'tool_call')
      assert.equal((await s.nextEvent()).json.type, 'error')
      assert.deepEqual(
        s.frames.filter((f) => f.data).map((f) => f.json.type),
        ['tool_call', 'error'],
      )
    } finally {
      s.close()
    }
  } finally {
    await k.stop()
  }
})

test('?token= authenticates EventSource clients; a wrong or missing credential gets 401 and no stream', async () => {
  const k = await startTestKernel({ plugins: ['events'] })
  try {
    const ok = await openSse(`${k.url}/api/events?token=${encodeURIComponent(k.token!)}`)
    try {
      assert.equal(ok.status, 200)
      const e = k.kernel.events.emit('llm_request', { provider: 'p', model: 'm' })
      assert.equal((await ok.nextEvent()).id, String(e.id))
    } finally {
      ok.close()
    }

    for (const [url, headers] of [
      [`${k.url}/api/events?token=not-a-token`, {}],
      [`${k.url}/api/events`, {}],
      [`${k.url}/api/events`, { authorization: 'Bearer wrong' }],
      // the service token is a REST credential, not one for query-token streams (contract §2.8)
      [`${k.url}/api/events`, { 'x-revka-service-token': k.serviceToken }],
      [`${k.url}/api/daemon/logs?token=not-a-token`, {}],
      [`${k.url}/api/daemon/logs`, {}],
    ] as Array<[string, Record<string, string>]>) {
      const r = await openSse(url, headers)
      assert.equal(r.status, 401, url)
      assert.match(String(r.headers['content-type']), /application\/json/)
      assert.equal(JSON.parse(r.body).code, 'unauthorized')
      assert.equal(r.frames.length, 0)
    }
  } finally {
    await k.stop()
  }
})

test('a keep-alive comment arrives on an idle stream', async () => {
  const k = await startTestKernel({ plugins: ['events'], options: { events: { keepAliveMs: 100 } } })
  try {
    const s = await openSse(`${k.url}/api/events`, bearer(k.token))
    try {
      const t0 = Date.now()
      await s.next((f) => f.comment === 'keep-alive', 2000)
      assert.ok(Date.now() - t0 < 1500)
      await s.next((f) => f.comment === 'keep-alive', 2000)
    } finally {
      s.close()
    }
  } finally {
    await k.stop()
  }
})

test('/api/status reports open event streams and the newest event id', async () => {
  const k = await startTestKernel({ plugins: ['events', 'status'] })
  try {
    const status = async () => (await k.inject({ url: '/api/status', headers: bearer(k.token) })).json().events
    assert.deepEqual(await status(), { subscribers: 0, last_event_id: k.kernel.events.lastId })
    const a = await openSse(`${k.url}/api/events`, bearer(k.token))
    const b = await openSse(`${k.url}/api/events`, bearer(k.token))
    const e = k.kernel.events.emit('agent_start', { provider: 'p', model: 'm' })
    assert.deepEqual(await status(), { subscribers: 2, last_event_id: e.id })
    a.close()
    await waitFor(async () => (await status()).subscribers === 1, 3000, 'one subscriber left')
    b.close()
    await waitFor(async () => (await status()).subscribers === 0, 3000, 'no subscribers left')
  } finally {
    await k.stop()
  }
})

test('a stream open at shutdown is ended by the kernel and stop() finds nothing leaked', async () => {
  const k = await startTestKernel({ plugins: ['events'] })
  const s = await openSse(`${k.url}/api/events`, bearer(k.token))
  const l = await openSse(`${k.url}/api/daemon/logs`, bearer(k.token))
  await k.stop()
  await s.ended
  await l.ended
  assert.ok(s.isEnded() && l.isEnded())
})

test('streams beyond maxStreams get a JSON 503 with Retry-After instead of a stream', async () => {
  const k = await startTestKernel({ plugins: ['events'], options: { events: { maxStreams: 1 } } })
  try {
    const a = await openSse(`${k.url}/api/events`, bearer(k.token))
    try {
      for (const path of ['/api/events', '/api/daemon/logs']) {
        const r = await openSse(`${k.url}${path}`, bearer(k.token))
        assert.equal(r.status, 503, path)
        assert.equal(r.headers['retry-after'], '5')
        assert.equal(JSON.parse(r.body).code, 'too_many_streams')
      }
    } finally {
      a.close()
    }
    // the slot is free again once the first client has gone
    await waitFor(
      async () => {
        const r = await openSse(`${k.url}/api/events`, bearer(k.token))
        r.close()
        return r.status === 200
      },
      3000,
      'a free stream slot',
    )
  } finally {
    await k.stop()
  }
})

test('HEAD /api/events answers the stream headers and ends instead of hanging', async () => {
  const k = await startTestKernel({ plugins: ['events'] })
  try {
    const ac = new AbortController()
    const timer = setTimeout(() => ac.abort(), 5000)
    try {
      const res = await fetch(`${k.url}/api/events`, { method: 'HEAD', headers: bearer(k.token), signal: ac.signal })
      assert.equal(res.status, 200)
      assert.match(String(res.headers.get('content-type')), /^text\/event-stream/)
      assert.equal(await res.text(), '')
    } finally {
      clearTimeout(timer)
    }
    const unauth = await fetch(`${k.url}/api/events`, { method: 'HEAD' })
    assert.equal(unauth.status, 401)
  } finally {
    await k.stop()
  }
})
