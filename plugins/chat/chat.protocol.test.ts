import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { TestKernel } from '@revka/plugin-testing'
import { openChat, startChatKernel } from './test-support/chat-client.js'

let k: TestKernel
before(async () => {
  k = await startChatKernel()
})
after(async () => {
  await k.stop()
})

test('a turn streams chunks, then chunk_reset and done, after session_start and connected', async () => {
  const c = await openChat(k, { query: { session_id: 'proto-1' } })
  try {
    assert.deepEqual(await c.next(), { type: 'session_start', session_id: 'proto-1', resumed: false, message_count: 0 })
    c.send({ type: 'connect', device_name: 'test' })
    assert.deepEqual(await c.next(), { type: 'connected', message: 'Connection established' })
    c.send({ type: 'message', content: 'hello there' })
    const frames = await c.until('done')
    assert.deepEqual(
      frames.map((f) => f.type),
      ['chunk', 'chunk', 'chunk_reset', 'done'],
    )
    assert.equal(
      frames
        .filter((f) => f.type === 'chunk')
        .map((f) => f.content)
        .join(''),
      'ok: hello there',
    )
    assert.equal(frames.at(-1)!.full_response, 'ok: hello there')
  } finally {
    await c.close()
  }
})

test('a first frame may be the message itself, and a new socket gets a fresh UUID session', async () => {
  const c = await openChat(k)
  try {
    const start = await c.next('session_start')
    assert.match(start.session_id, /^[0-9a-f-]{36}$/)
    c.send({ type: 'message', content: 'straight in' })
    assert.equal((await c.next('done')).full_response, 'ok: straight in')
  } finally {
    await c.close()
  }
})

test('every runtime event becomes its frame: thinking, operator_status, tool_call, tool_result', async () => {
  const c = await openChat(k)
  try {
    await c.next('session_start')
    c.send({ type: 'message', content: 'events' })
    const frames = await c.until('done')
    assert.deepEqual(
      frames.map((f) => f.type),
      ['thinking', 'operator_status', 'tool_call', 'tool_result', 'chunk', 'chunk_reset', 'done'],
    )
    assert.deepEqual(frames[0], { type: 'thinking', content: 'pondering' })
    assert.deepEqual(frames[1], { type: 'operator_status', phase: 'tooling', detail: 'calling a tool' })
    assert.deepEqual(frames[2], { type: 'tool_call', name: 'shout', args: { text: 'hi' } })
    assert.deepEqual(frames[3], { type: 'tool_result', name: 'shout', output: 'HI' })
  } finally {
    await c.close()
  }
})

test('protocol errors carry their codes and leave the socket usable', async () => {
  const c = await openChat(k)
  try {
    await c.next('session_start')
    c.send('{not json')
    assert.equal((await c.next('error')).code, 'INVALID_JSON')
    c.send('[1,2]')
    assert.equal((await c.next('error')).code, 'INVALID_JSON')
    c.send({ type: 'message', content: '   ' })
    assert.equal((await c.next('error')).code, 'EMPTY_CONTENT')
    c.send({ type: 'message' })
    assert.equal((await c.next('error')).code, 'EMPTY_CONTENT')
    c.send({ type: 'dance' })
    assert.equal((await c.next('error')).code, 'UNKNOWN_MESSAGE_TYPE')
    c.send({ type: 'steer', content: 'go left' })
    assert.equal((await c.next('error')).code, 'NO_ACTIVE_TURN')
    c.send({ type: 'stop' })
    assert.deepEqual(await c.next(), { type: 'stopped', message: 'No active Operator turn to stop.' })
    c.send({ type: 'message', content: 'still here' })
    assert.equal((await c.next('done')).full_response, 'ok: still here')
  } finally {
    await c.close()
  }
})

test('runtime failures map to PROVIDER_ERROR, AUTH_ERROR and AGENT_ERROR, and the state says error', async () => {
  const c = await openChat(k, { query: { session_id: 'failing' } })
  const auth = { authorization: `Bearer ${k.token}` }
  try {
    await c.next('session_start')
    for (const [script, code] of [
      ['fail PROVIDER_ERROR', 'PROVIDER_ERROR'],
      ['fail AUTH_ERROR', 'AUTH_ERROR'],
      ['fail crash', 'AGENT_ERROR'],
    ]) {
      c.send({ type: 'message', content: script })
      const err = await c.next('error')
      assert.equal(err.code, code)
      assert.equal(typeof err.message, 'string')
    }
    const state = await k.inject({ url: '/api/sessions/failing/state', headers: auth })
    assert.deepEqual(state.json(), { session_id: 'failing', state: 'error' })
    c.send({ type: 'message', content: 'recover' })
    await c.next('done')
    assert.deepEqual((await k.inject({ url: '/api/sessions/failing/state', headers: auth })).json(), { session_id: 'failing', state: 'idle' })
  } finally {
    await c.close()
  }
})

test('an invalid session_id is refused with an error frame and close 1008', async () => {
  const c = await openChat(k, { query: { session_id: '../etc' } })
  const code = await new Promise<number>((resolve) => {
    if (c.ws.readyState === c.ws.CLOSED) resolve((c.ws as any)._closeCode)
    else c.ws.once('close', (n) => resolve(n))
  })
  assert.equal(code, 1008)
  assert.equal(c.frames[0].code, 'INVALID_SESSION_ID')
})
