import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { TestKernel } from '@revka/plugin-testing'
import { openChat, startChatKernel } from './test-support/chat-client.js'

let k: TestKernel
before(async () => {
  k = await startChatKernel({ options: { chat: { turn_timeout_secs: 0.3 } } })
})
after(async () => {
  await k.stop()
})

test('the chat turn timeout stops a hung turn with "after Ns with no response"', async () => {
  const c = await openChat(k, { query: { session_id: 'hung' } })
  try {
    await c.next('session_start')
    c.send({ type: 'message', content: 'hang' })
    const stopped = await c.next('stopped', 3000)
    assert.equal(stopped.message, 'Stopped current Operator turn after 0.3s with no response.')
    assert.equal((await k.inject({ url: '/api/sessions/hung/state', headers: { authorization: `Bearer ${k.token}` } })).json().state, 'idle')
    c.send({ type: 'message', content: 'after the timeout' })
    assert.equal((await c.next('done')).full_response, 'ok: after the timeout')
  } finally {
    await c.close()
  }
})

test('a runtime that reports its own deadline (timedOut) gets the same stopped message', async () => {
  const c = await openChat(k)
  try {
    await c.next('session_start')
    c.send({ type: 'message', content: 'timeout' })
    const stopped = await c.next('stopped')
    assert.equal(stopped.message, 'Stopped current Operator turn after 0.3s with no response.')
    assert.equal(
      c.frames.some((f) => f.type === 'done'),
      false,
    )
  } finally {
    await c.close()
  }
})
