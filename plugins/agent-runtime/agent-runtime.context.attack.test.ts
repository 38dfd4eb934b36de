/**
 * Attack (issue 10 item 3): a consumer that hands the runtime a long history made every model
 * request carry all of it (chat used to send up to 200 messages of up to 1 MiB). The runtime now
 * keeps each request within MAX_CONTEXT_BYTES, newest messages first, whoever the consumer is;
 * chat's own, smaller budget applies before this one.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bootRuntime, providerConfig, sse, startModelServer, user } from './test-helpers.js'

const MiB = 1024 * 1024
/** the documented runtime budget (context-budget.ts) */
const MAX_CONTEXT_BYTES = 4 * MiB
const SLACK = 16 * 1024

const bytesOf = (messages: unknown[]) => Buffer.byteLength(JSON.stringify(messages))

test('a model request stays within the context budget however long the history, newest messages first', async () => {
  const server = await startModelServer(() => ({ sse: [sse.text('fine'), sse.usage(10, 1)] }))
  const rt = await bootRuntime(providerConfig(server.baseUrl))
  try {
    // 24 messages of 300 KB: ~7 MB of history before the new question
    const r = await rt.turn({ fill: { messages: 24, bytes: 300 * 1024 }, messages: [user('and the answer is?')] })
    assert.equal(r.ok, true, JSON.stringify(r.error))
    assert.equal(server.requests.length, 1)
    const sent = server.requests[0].body.messages as Array<{ role: string; content: string }>
    const bytes = bytesOf(sent)
    assert.ok(bytes <= MAX_CONTEXT_BYTES + SLACK, `the model request carried ${bytes} bytes of messages`)
    assert.equal(sent.at(-1)!.content, 'and the answer is?', 'the new message is always sent')
    assert.match(sent.at(-2)!.content, /^#23 /, 'what is kept is the newest part')
    assert.ok(sent.length < 25, `${sent.length} messages`)
    assert.notEqual(sent[0].role, 'tool', 'the kept history never starts with an orphaned tool result')
  } finally {
    await rt.stop()
    await server.close()
  }
})

test('a newest message bigger than the whole budget is cut, not dropped', async () => {
  const server = await startModelServer(() => ({ sse: [sse.text('ok'), sse.usage(1, 1)] }))
  const rt = await bootRuntime(providerConfig(server.baseUrl))
  try {
    const r = await rt.turn({ fill: { messages: 1, bytes: 5 * MiB }, messages: [] })
    assert.equal(r.ok, true, JSON.stringify(r.error))
    const sent = server.requests[0].body.messages as Array<{ role: string; content: string }>
    assert.equal(sent.length, 1)
    assert.ok(bytesOf(sent) <= MAX_CONTEXT_BYTES + SLACK, `${bytesOf(sent)} bytes`)
    assert.match(sent[0].content, /^#0 a+/)
  } finally {
    await rt.stop()
    await server.close()
  }
})
