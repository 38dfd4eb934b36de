import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel } from '@revka/plugin-testing'
import { openSse } from './test-sse-client.js'

const json = { 'content-type': 'application/json' }

test('a loopback POST reaches open /api/events streams as channel_event with the payload', async () => {
  const k = await startTestKernel({ plugins: ['events'] })
  try {
    const s = await openSse(`${k.url}/api/events`, { authorization: `Bearer ${k.token}` })
    try {
      const payload = { type: 'agent.completed', agentId: 'a1', agentTitle: 'Researcher', content: 'done', timestamp: '2026-01-01T00:00:00Z' }
      const res = await fetch(`${k.url}/api/channel-events`, { method: 'POST', headers: json, body: JSON.stringify(payload) })
      assert.equal(res.status, 200)
      assert.deepEqual(await res.json(), { ok: true })
      const f = await s.nextEvent()
      assert.equal(f.json.type, 'channel_event')
      assert.deepEqual(f.json.payload, payload)
      assert.equal(f.id, String(f.json.id))
      assert.match(f.json.timestamp, /^\d{4}-\d\d-\d\dT/)
    } finally {
      s.close()
    }
  } finally {
    await k.stop()
  }
})

test('a forwarded request from loopback (same-host proxy) is refused with 403 and nothing is broadcast', async () => {
  const k = await startTestKernel({ plugins: ['events'] })
  try {
    const s = await openSse(`${k.url}/api/events`, { authorization: `Bearer ${k.token}` })
    try {
      const before = k.kernel.events.lastId
      for (const h of [{ 'x-forwarded-for': '127.0.0.1' }, { forwarded: 'for=127.0.0.1' }, { 'x-real-ip': '127.0.0.1' }] as Array<Record<string, string>>) {
        const res = await fetch(`${k.url}/api/channel-events`, {
          method: 'POST',
          headers: { ...json, ...h },
          body: JSON.stringify({ type: 'chat', content: 'spoof' }),
        })
        assert.equal(res.status, 403)
        const body: any = await res.json()
        assert.equal(typeof body.error, 'string')
        assert.equal(typeof body.code, 'string')
      }
      // a bearer token does not make a remote caller local either
      const remote = await k.inject({
        method: 'POST',
        url: '/api/channel-events',
        remoteAddress: '10.1.2.3',
        headers: { ...json, authorization: `Bearer ${k.token}` },
        payload: JSON.stringify({ type: 'chat' }),
      })
      assert.equal(remote.statusCode, 403)
      assert.equal(k.kernel.events.lastId, before)
      // the stream's next event is a later marker, not one of the refused posts
      const marker = k.kernel.events.emit('agent_start', { provider: 'p', model: 'm' })
      assert.equal((await s.nextEvent()).id, String(marker.id))
      assert.equal(s.frames.filter((f) => f.data).length, 1)
    } finally {
      s.close()
    }
  } finally {
    await k.stop()
  }
})

test('bodies that are not a JSON object are refused in the contract error shape', async () => {
  const k = await startTestKernel({ plugins: ['events'] })
  try {
    const before = k.kernel.events.lastId
    const cases: Array<[Record<string, string>, string, number, string]> = [
      [{ 'content-type': 'text/plain' }, 'hello', 415, 'unsupported_media_type'],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, 'type=chat', 415, 'unsupported_media_type'],
      [json, '{"type":', 400, 'invalid_json'],
      [json, '[1,2]', 400, 'invalid_body'],
      [json, '"text"', 400, 'invalid_body'],
      [json, 'null', 400, 'invalid_body'],
    ]
    for (const [headers, body, status, code] of cases) {
      const res = await fetch(`${k.url}/api/channel-events`, { method: 'POST', headers, body })
      assert.equal(res.status, status, `${JSON.stringify(headers)} ${body}`)
      const b: any = await res.json()
      assert.equal(b.code, code)
      assert.equal(typeof b.error, 'string')
    }
    assert.equal(k.kernel.events.lastId, before)
  } finally {
    await k.stop()
  }
})

test('a human_approval_request body also broadcasts human_approval_request', async () => {
  const k = await startTestKernel({ plugins: ['events'] })
  try {
    const s = await openSse(`${k.url}/api/events?types=channel_event,human_approval_request`, { authorization: `Bearer ${k.token}` })
    try {
      const body = {
        type: 'human_approval_request',
        run_id: 'run-7',
        step_id: 'deploy',
        workflow_name: 'release',
        title: 'Ship it?',
        message: 'Approve the deploy',
        cwd: '/srv',
      }
      const res = await fetch(`${k.url}/api/channel-events`, { method: 'POST', headers: json, body: JSON.stringify(body) })
      assert.deepEqual(await res.json(), { ok: true })
      const first = await s.nextEvent()
      assert.equal(first.json.type, 'channel_event')
      assert.deepEqual(first.json.payload, body)
      const second = await s.nextEvent()
      assert.equal(second.json.type, 'human_approval_request')
      const { id, timestamp, ...fields } = second.json
      assert.ok(id > first.json.id && typeof timestamp === 'string')
      assert.deepEqual(fields, {
        type: 'human_approval_request',
        run_id: 'run-7',
        step_id: 'deploy',
        workflow_name: 'release',
        title: 'Ship it?',
        message: 'Approve the deploy',
      })

      // without step_id it is only a channel_event
      const partial = await fetch(`${k.url}/api/channel-events`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ type: 'human_approval_request', run_id: 'run-8' }),
      })
      assert.equal(partial.status, 200)
      await partial.arrayBuffer()
      const marker = k.kernel.events.emit('channel_event', { payload: 'marker' })
      assert.equal((await s.nextEvent()).json.payload.run_id, 'run-8')
      assert.equal((await s.nextEvent()).id, String(marker.id))
    } finally {
      s.close()
    }
  } finally {
    await k.stop()
  }
})
