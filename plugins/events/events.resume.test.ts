import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel } from '@revka/plugin-testing'
import { openSse } from './test-sse-client.js'

const bearer = (t: string | null) => ({ authorization: `Bearer ${t}` })

test('Last-Event-ID resumes with exactly the missed events, then continues live', async () => {
  const k = await startTestKernel({ plugins: ['events'] })
  try {
    const first = await openSse(`${k.url}/api/events`, bearer(k.token))
    const a = k.kernel.events.emit('agent_start', { provider: 'p', model: 'm' })
    const seen = await first.nextEvent()
    assert.equal(seen.id, String(a.id))
    first.close()

    // emitted while the client was away
    const missed = [
      k.kernel.events.emit('tool_call_start', { tool: 'shell' }),
      k.kernel.events.emit('tool_call', { tool: 'shell', duration_ms: 3, success: true }),
      k.kernel.events.emit('agent_end', { provider: 'p', model: 'm', duration_ms: 9, tokens_used: 4, cost_usd: 0 }),
    ]
    const again = await openSse(`${k.url}/api/events`, { ...bearer(k.token), 'last-event-id': seen.id! })
    try {
      for (const e of missed) assert.deepEqual((await again.nextEvent()).json, e)
      const live = k.kernel.events.emit('llm_request', { provider: 'p', model: 'm' })
      assert.equal((await again.nextEvent()).id, String(live.id))
      // no duplicates, no gaps, nothing from before the resume point
      assert.deepEqual(
        again.frames.filter((f) => f.data).map((f) => Number(f.id)),
        [...missed, live].map((e) => e.id),
      )
    } finally {
      again.close()
    }
  } finally {
    await k.stop()
  }
})

test('?last_event_id= resumes too (clients that cannot set headers), filtered by ?types=', async () => {
  const k = await startTestKernel({ plugins: ['events'] })
  try {
    const mark = k.kernel.events.emit('agent_start', { provider: 'p', model: 'm' })
    k.kernel.events.emit('llm_request', { provider: 'p', model: 'm' })
    const err = k.kernel.events.emit('error', { component: 'agent', message: 'x' })
    const s = await openSse(`${k.url}/api/events?token=${k.token}&last_event_id=${mark.id}&types=error`)
    try {
      assert.equal((await s.nextEvent()).id, String(err.id))
      const live = k.kernel.events.emit('error', { component: 'agent', message: 'y' })
      assert.equal((await s.nextEvent()).id, String(live.id))
      assert.equal(s.frames.filter((f) => f.data).length, 2)
    } finally {
      s.close()
    }
  } finally {
    await k.stop()
  }
})

test('an id older than the replay buffer gets an events_missed error, then live events; its id stops a repeat', async () => {
  const k = await startTestKernel({ plugins: ['events'] })
  try {
    // push event 1 out of the bounded buffer
    for (let i = 0; i < 1100; i++) k.kernel.events.emit('tool_call_start', { tool: `t${i}` })
    const s = await openSse(`${k.url}/api/events`, { ...bearer(k.token), 'last-event-id': '1' })
    let notice
    try {
      notice = await s.nextEvent()
      assert.equal(notice.json.type, 'error')
      assert.equal(notice.json.code, 'events_missed')
      assert.match(notice.json.message, /missed/)
      assert.equal(notice.id, String(k.kernel.events.lastId))
      const live = k.kernel.events.emit('agent_start', { provider: 'p', model: 'm' })
      assert.equal((await s.nextEvent()).id, String(live.id))
      // nothing from the stale buffer was replayed
      assert.equal(s.frames.filter((f) => f.data).length, 2)
    } finally {
      s.close()
    }

    // an EventSource reconnects with the notice's id: no second notice, nothing replayed
    const r = await openSse(`${k.url}/api/events`, { ...bearer(k.token), 'last-event-id': notice.id! })
    try {
      const next = await r.nextEvent()
      assert.equal(next.json.type, 'agent_start')
      const live = k.kernel.events.emit('llm_request', { provider: 'p', model: 'm' })
      assert.equal((await r.nextEvent()).id, String(live.id))
    } finally {
      r.close()
    }
  } finally {
    await k.stop()
  }
})

test('an id from before a restart (newer than any event) is reported as missed, not silently ignored', async () => {
  const k = await startTestKernel({ plugins: ['events'] })
  try {
    k.kernel.events.emit('agent_start', { provider: 'p', model: 'm' })
    const s = await openSse(`${k.url}/api/events`, { ...bearer(k.token), 'last-event-id': '5000' })
    try {
      const notice = await s.nextEvent()
      assert.equal(notice.json.code, 'events_missed')
      assert.match(notice.json.message, /restarted/)
    } finally {
      s.close()
    }
  } finally {
    await k.stop()
  }
})

test('a malformed Last-Event-ID is a JSON 400 before any stream starts', async () => {
  const k = await startTestKernel({ plugins: ['events'] })
  try {
    const r = await openSse(`${k.url}/api/events`, { ...bearer(k.token), 'last-event-id': 'abc' })
    assert.equal(r.status, 400)
    assert.deepEqual(Object.keys(JSON.parse(r.body)).sort(), ['code', 'error'])
    assert.equal(JSON.parse(r.body).code, 'invalid_last_event_id')
  } finally {
    await k.stop()
  }
})
