import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { TestKernel } from '@revka/plugin-testing'
import { openChat, startChatKernel } from './test-support/chat-client.js'

let k: TestKernel
before(async () => {
  k = await startChatKernel({ options: { chat: { first_frame_wait_ms: 150 } } })
})
after(async () => {
  await k.stop()
})

const emitChannel = (payload: unknown) => k.kernel.events.emit('channel_event', { payload })

test('a silent socket becomes a listen-only relay of channel events after the first-frame wait', async () => {
  const c = await openChat(k)
  try {
    await c.next('session_start')
    emitChannel({ early: true })
    await new Promise((r) => setTimeout(r, 250))
    emitChannel({ text: 'approval needed' })
    emitChannel({ ignored: false })
    k.kernel.events.emit('agent_start', { provider: 'p', model: 'm' })
    const ev = await c.next('agent_event')
    assert.equal(ev.event.type, 'channel_event')
    assert.deepEqual(ev.event.payload, { text: 'approval needed' })
    assert.equal(typeof ev.event.timestamp, 'string')
    await c.next('agent_event')
    await new Promise((r) => setTimeout(r, 50))
    assert.equal(c.frames.filter((f) => f.type === 'agent_event').length, 2, 'nothing before the window closed, no other event types')
    // a listen-only socket still chats when it speaks
    c.send({ type: 'message', content: 'late' })
    assert.equal((await c.next('done')).full_response, 'ok: late')
  } finally {
    await c.close()
  }
})

test('after connect, channel events are relayed at once', async () => {
  const c = await openChat(k)
  try {
    await c.next('session_start')
    c.send({ type: 'connect' })
    await c.next('connected')
    emitChannel({ n: 1 })
    assert.deepEqual((await c.next('agent_event')).event.payload, { n: 1 })
  } finally {
    await c.close()
  }
})
