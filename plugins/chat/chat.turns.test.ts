import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TestKernel } from '@revka/plugin-testing'
import { openChat, bearer, chatKernelPerFile } from './test-support/chat-client.js'

let k: TestKernel
chatKernelPerFile((kernel) => (k = kernel))
const auth = () => bearer(k)

test('steer mid-turn: operator_status "steering", the note reaches the runtime and is persisted', async () => {
  const c = await openChat(k, { query: { session_id: 'steer-1' } })
  try {
    await c.next('session_start')
    c.send({ type: 'message', content: 'slow 5' })
    await c.next('chunk')
    const state = (await k.inject({ url: '/api/sessions/steer-1/state', headers: auth() })).json()
    assert.equal(state.state, 'running')
    assert.match(state.turn_id, /^[0-9a-f-]{36}$/)
    assert.ok(!Number.isNaN(Date.parse(state.turn_started_at)))
    c.send({ type: 'steer', content: '   ' })
    assert.equal((await c.next('error')).code, 'EMPTY_CONTENT')
    c.send({ type: 'steer', content: 'mention cats' })
    const status = await c.next('operator_status')
    assert.equal(status.phase, 'steering')
    const done = await c.next('done')
    assert.match(done.full_response, /\[steered: mention cats\]/)
    const history = (await k.inject({ url: '/api/sessions/steer-1/messages', headers: auth() })).json()
    assert.deepEqual(
      history.messages.map((m: any) => m.role),
      ['user', 'user', 'assistant'],
    )
    assert.equal(history.messages[1].content, '[Steering note during active turn]\nmention cats')
  } finally {
    await c.close()
  }
})

test('stop mid-turn ends it with stopped, no done, and the session is idle again', async () => {
  const c = await openChat(k, { query: { session_id: 'stop-1' } })
  try {
    await c.next('session_start')
    c.send({ type: 'message', content: 'slow 50' })
    await c.next('chunk')
    c.send({ type: 'stop' })
    assert.deepEqual(await c.next('stopped'), { type: 'stopped', message: 'Stopped current Operator turn.' })
    await new Promise((r) => setTimeout(r, 120))
    assert.equal(
      c.frames.some((f) => f.type === 'done'),
      false,
    )
    assert.equal((await k.inject({ url: '/api/sessions/stop-1/state', headers: auth() })).json().state, 'idle')
    c.send({ type: 'message', content: 'next' })
    assert.equal((await c.next('done')).full_response, 'ok: next')
  } finally {
    await c.close()
  }
})

test('a message sent during a turn is queued and answered after it', async () => {
  const c = await openChat(k)
  try {
    await c.next('session_start')
    c.send({ type: 'message', content: 'slow 3' })
    await c.next('chunk')
    c.send({ type: 'message', content: 'second' })
    const queued = await c.next('operator_status')
    assert.equal(queued.phase, 'queued')
    const first = await c.next('done')
    assert.equal(first.full_response, 'c0 c1 c2 ')
    const second = await c.next('done')
    assert.equal(second.full_response, 'ok: second')
  } finally {
    await c.close()
  }
})

test('eight messages queue behind a turn; the ninth gets SESSION_BUSY; all eight are answered in order', async () => {
  const c = await openChat(k, { query: { session_id: 'busy-1' } })
  try {
    await c.next('session_start')
    c.send({ type: 'message', content: 'slow 4' })
    await c.next('chunk')
    for (let i = 1; i <= 9; i++) c.send({ type: 'message', content: `q${i}` })
    const frames = await c.until('error')
    assert.equal(frames.at(-1)!.code, 'SESSION_BUSY')
    assert.equal(frames.filter((f) => f.type === 'operator_status' && f.phase === 'queued').length, 8)
    const dones: string[] = []
    while (dones.length < 9) dones.push((await c.next('done')).full_response)
    assert.deepEqual(
      dones.slice(1),
      ['q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7', 'q8'].map((q) => `ok: ${q}`),
    )
    const history = (await k.inject({ url: '/api/sessions/busy-1/messages', headers: auth() })).json()
    assert.equal(
      history.messages.some((m: any) => m.content === 'q9'),
      false,
      'the refused message was not persisted',
    )
  } finally {
    await c.close()
  }
})

test('closing the socket stops its running turn', async () => {
  const c = await openChat(k, { query: { session_id: 'gone-1' } })
  await c.next('session_start')
  c.send({ type: 'message', content: 'slow 100' })
  await c.next('chunk')
  assert.deepEqual(
    (await k.inject({ url: '/api/sessions/running', headers: auth() })).json().sessions.map((s: any) => s.session_id),
    ['gone-1'],
  )
  await c.close()
  // `slow 100` would run for 4 s: idle well before that means the close stopped it
  for (let i = 0; i < 50; i++) {
    if ((await k.inject({ url: '/api/sessions/gone-1/state', headers: auth() })).json().state === 'idle') return
    await new Promise((r) => setTimeout(r, 20))
  }
  assert.fail('the turn kept running after its socket closed')
})
