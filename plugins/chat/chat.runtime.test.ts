/**
 * Full turns against the real `agent-runtime` plugin (its embedded offline responder) and a
 * fixture plugin's tools, over real sockets — the same path a dashboard takes.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestKernel } from '@revka/plugin-testing'
import { CHAT_TOOLS, createSession, openChat, startChatKernel } from './test-support/chat-client.js'
import { upload } from './test-support/upload-client.js'

const REAL = { plugins: ['chat', 'agent-runtime', 'cost'], paths: [CHAT_TOOLS] }

let k: TestKernel
before(async () => {
  k = await startChatKernel(REAL)
})
after(async () => {
  await k.stop()
})

test('a full turn: session_start, connected, chunks, chunk_reset, done — and its cost is in the ledger', async () => {
  const c = await openChat(k, { query: { session_id: 'real-1' } })
  try {
    await c.next('session_start')
    c.send({ type: 'connect' })
    c.send({ type: 'message', content: 'hello runtime' })
    const frames = await c.until('done')
    const types = frames.map((f) => f.type)
    assert.equal(types[0], 'connected')
    assert.deepEqual(types.slice(-2), ['chunk_reset', 'done'])
    const chunks = frames.filter((f) => f.type === 'chunk')
    assert.ok(chunks.length > 1, 'the offline responder streams in several chunks')
    assert.ok(types.slice(1, -2).every((t) => t === 'chunk'))
    const done = frames.at(-1)!
    assert.equal(done.full_response, chunks.map((f) => f.content).join(''))
    assert.match(done.full_response, /You said: "hello runtime"/)
    const cost = (await k.inject({ url: '/api/cost', headers: { authorization: `Bearer ${k.token}` } })).json().cost
    assert.equal(cost.by_source.ws_chat.request_count, 1)
    assert.ok(cost.total_tokens > 0)
  } finally {
    await c.close()
  }
})

test('/tool <name> {json} runs a plugin tool: tool_call and tool_result frames, then the answer', async () => {
  const c = await openChat(k)
  try {
    await c.next('session_start')
    c.send({ type: 'message', content: '/tool shout {"text":"quiet please"}' })
    const frames = await c.until('done')
    const call = frames.find((f) => f.type === 'tool_call')!
    const result = frames.find((f) => f.type === 'tool_result')!
    assert.deepEqual(call, { type: 'tool_call', name: 'shout', args: { text: 'quiet please' } })
    assert.deepEqual(result, { type: 'tool_result', name: 'shout', output: 'QUIET PLEASE' })
    assert.ok(frames.indexOf(call) < frames.indexOf(result))
    assert.match(frames.at(-1)!.full_response, /The tool shout answered: QUIET PLEASE/)
  } finally {
    await c.close()
  }
})

test('steering during a slow tool reaches the runtime as user guidance', async () => {
  const c = await openChat(k, { query: { session_id: 'real-steer' } })
  try {
    await c.next('session_start')
    c.send({ type: 'message', content: '/tool nap {"ms":400}' })
    await c.next('tool_call')
    c.send({ type: 'steer', content: 'answer in French' })
    assert.equal((await c.next('operator_status')).phase, 'steering')
    const done = await c.next('done')
    assert.match(done.full_response, /Noted your steering: "answer in French"/)
  } finally {
    await c.close()
  }
})

test('stop during a slow tool ends the turn at once with stopped', async () => {
  const c = await openChat(k)
  try {
    await c.next('session_start')
    c.send({ type: 'message', content: '/tool nap {"ms":20000}' })
    await c.next('tool_call')
    const t0 = Date.now()
    c.send({ type: 'stop' })
    assert.deepEqual(await c.next('stopped'), { type: 'stopped', message: 'Stopped current Operator turn.' })
    assert.ok(Date.now() - t0 < 2000)
    c.send({ type: 'message', content: 'are you there' })
    assert.match((await c.next('done')).full_response, /You said: "are you there"/)
  } finally {
    await c.close()
  }
})

test('a text attachment reaches the real runtime; an image is a note because offline takes no images', async () => {
  await createSession(k, 'real-att')
  const text = await upload(k, { sid: 'real-att', content: 'quarterly numbers look fine', filename: 'report.txt' })
  const png = await upload(k, {
    sid: 'real-att',
    content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]),
    filename: 'p.png',
    mime: 'image/png',
  })
  const c = await openChat(k, { query: { session_id: 'real-att' } })
  try {
    await c.next('session_start')
    c.send({ type: 'message', content: 'see attached', attachments: [text.body.file_id, png.body.file_id] })
    const done = await c.next('done')
    assert.match(done.full_response, /You attached 2 items: text starting "\[Attached file: report\.txt/)
    assert.match(done.full_response, /\[Attached image: p\.png/)
  } finally {
    await c.close()
  }
})

test('a session resumes across a kernel restart and the runtime sees its history', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'revka-chat-real-resume-'))
  try {
    const k1 = await startChatKernel({ ...REAL, stateDir })
    try {
      const c = await openChat(k1, { query: { session_id: 'again' } })
      await c.next('session_start')
      c.send({ type: 'message', content: 'first words' })
      await c.next('done')
      await c.close()
    } finally {
      await k1.stop()
    }
    const k2 = await startChatKernel({ ...REAL, stateDir })
    try {
      const c = await openChat(k2, { query: { session_id: 'again' } })
      assert.deepEqual(await c.next('session_start'), { type: 'session_start', session_id: 'again', resumed: true, message_count: 2 })
      c.send({ type: 'message', content: 'second words' })
      assert.match((await c.next('done')).full_response, /This conversation has 3 messages, 2 from you\./)
      await c.close()
    } finally {
      await k2.stop()
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true })
  }
})
