import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { startTestKernel } from '@revka/plugin-testing'
import { openSse } from './test-sse-client.js'

const bearer = (t: string | null) => ({ authorization: `Bearer ${t}` })
const ids = (frames: Array<{ id?: string; data?: string }>) => frames.filter((f) => f.data).map((f) => Number(f.id))

test('a burst reaches streams with different ?types= each with its own events, in order', async () => {
  const k = await startTestKernel({ plugins: ['events'] })
  try {
    const all = await openSse(`${k.url}/api/events`, bearer(k.token))
    const errs = await openSse(`${k.url}/api/events?types=error`, bearer(k.token))
    const errs2 = await openSse(`${k.url}/api/events?types=error,error`, bearer(k.token))
    const tools = await openSse(`${k.url}/api/events?types=tool_call_start,agent_start`, bearer(k.token))
    try {
      // one turn of the event loop: one batch
      const sent = []
      for (let i = 0; i < 30; i++) {
        sent.push(
          i % 3 === 0 ? k.kernel.events.emit('error', { component: 'c', message: `m${i}` }) : k.kernel.events.emit('tool_call_start', { tool: `t${i}` }),
        )
      }
      const last = sent[sent.length - 1].id
      const lastError = sent.filter((e) => e.type === 'error').at(-1)!.id
      const lastTool = sent.filter((e) => e.type === 'tool_call_start').at(-1)!.id
      await all.nextEvent((j) => j.id === last)
      await errs.nextEvent((j) => j.id === lastError)
      await errs2.nextEvent((j) => j.id === lastError)
      await tools.nextEvent((j) => j.id === lastTool)
      assert.deepEqual(
        ids(all.frames),
        sent.map((e) => e.id),
      )
      assert.deepEqual(
        ids(errs.frames),
        sent.filter((e) => e.type === 'error').map((e) => e.id),
      )
      assert.deepEqual(ids(errs2.frames), ids(errs.frames))
      assert.deepEqual(
        ids(tools.frames),
        sent.filter((e) => e.type === 'tool_call_start').map((e) => e.id),
      )
      assert.deepEqual(
        all.frames.filter((f) => f.data).map((f) => f.json),
        sent,
      )
    } finally {
      for (const s of [all, errs, errs2, tools]) s.close()
    }
  } finally {
    await k.stop()
  }
})

test('a client that resumes while events wait for the next write gets each of them once', async () => {
  // a long interval keeps the second event waiting while the client reconnects
  const k = await startTestKernel({ plugins: ['events'], options: { events: { flushIntervalMs: 1000 } } })
  try {
    const live = await openSse(`${k.url}/api/events`, bearer(k.token))
    try {
      const first = k.kernel.events.emit('agent_start', { provider: 'p', model: 'm' })
      assert.equal((await live.nextEvent()).id, String(first.id))
      const waiting = k.kernel.events.emit('tool_call_start', { tool: 'shell' })

      const resumed = await openSse(`${k.url}/api/events`, { ...bearer(k.token), 'last-event-id': String(first.id) })
      const fresh = await openSse(`${k.url}/api/events`, bearer(k.token))
      try {
        // replayed at once, not after the interval
        assert.equal((await resumed.nextEvent(() => true, 500)).id, String(waiting.id))
        const after = k.kernel.events.emit('llm_request', { provider: 'p', model: 'm' })
        await resumed.nextEvent((j) => j.id === after.id)
        await live.nextEvent((j) => j.id === after.id)
        await fresh.nextEvent((j) => j.id === after.id)
        assert.deepEqual(ids(resumed.frames), [waiting.id, after.id])
        assert.deepEqual(ids(live.frames), [first.id, waiting.id, after.id])
        // connected after `waiting` was emitted: it is not live for this client
        assert.deepEqual(ids(fresh.frames), [after.id])
      } finally {
        resumed.close()
        fresh.close()
      }
    } finally {
      live.close()
    }
  } finally {
    await k.stop()
  }
})

test('an HTTP/1.0 client (no chunked encoding) gets plain frames', async () => {
  const k = await startTestKernel({ plugins: ['events'] })
  try {
    const { port } = new URL(k.url!)
    const socket = net.connect(Number(port), '127.0.0.1')
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (d) => {
      text += d
    })
    try {
      await new Promise((r) => socket.once('connect', r))
      socket.write(`GET /api/events HTTP/1.0\r\nAuthorization: Bearer ${k.token}\r\n\r\n`)
      const until = (s: string) =>
        new Promise<void>((ok, fail) => {
          const t = setTimeout(() => fail(new Error(`no ${JSON.stringify(s)} in ${JSON.stringify(text)}`)), 3000)
          const check = () => {
            if (text.includes(s)) {
              clearTimeout(t)
              socket.off('data', check)
              ok()
            }
          }
          socket.on('data', check)
          check()
        })
      await until(': connected\n\n')
      const a = k.kernel.events.emit('agent_start', { provider: 'p', model: 'm' })
      const b = k.kernel.events.emit('error', { component: 'c', message: 'line\nbreak' })
      await until(`data: ${JSON.stringify(b)}\n\n`)
      const body = text.slice(text.indexOf('\r\n\r\n') + 4)
      assert.doesNotMatch(text.slice(0, text.indexOf('\r\n\r\n')), /transfer-encoding/i)
      assert.equal(body, `: connected\n\nid: ${a.id}\ndata: ${JSON.stringify(a)}\n\nid: ${b.id}\ndata: ${JSON.stringify(b)}\n\n`)
    } finally {
      socket.destroy()
    }
  } finally {
    await k.stop()
  }
})
