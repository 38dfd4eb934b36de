import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bootRuntime, providerConfig, startRecordingServer, user } from './test-helpers.js'
import { transcript } from './anthropic-fake.js'

test('the recorded OpenAI transcripts follow the published chunk grammar', () => {
  for (const name of ['openai-tool-call.txt', 'openai-text.txt']) {
    const events = transcript(name)
    assert.equal(events.at(-1), 'data: [DONE]', `${name} ends with [DONE]`)
    for (const raw of events.slice(0, -1)) {
      assert.match(raw, /^data: \{.*\}$/, `${name}: one data line per event`)
      const c = JSON.parse(raw.slice(6))
      assert.equal(c.object, 'chat.completion.chunk')
      assert.ok(Array.isArray(c.choices))
    }
  }
})

test('a recorded OpenAI tool-call stream, replayed verbatim: the tool runs and the answer follows', async () => {
  const server = await startRecordingServer((res, _b, n) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.end(transcript(n === 0 ? 'openai-tool-call.txt' : 'openai-text.txt').join('\n\n') + '\n\n')
  }, '/v1')
  const rt = await bootRuntime(providerConfig(server.baseUrl))
  try {
    const r = await rt.turn({ messages: [user('what is 4 + 5?')] })
    assert.equal(r.ok, true, JSON.stringify(r.error))
    const call = r.events.find((e) => e.type === 'tool_call') as any
    assert.deepEqual([call.id, call.name, call.args], ['call_Kx3bQ8nV1wZp', 'fx_add', { a: 4, b: 5 }])
    assert.equal(r.result!.content, '4 + 5 is 9.')
    assert.deepEqual(r.result!.usage, { input_tokens: 191, output_tokens: 25 })
    assert.deepEqual(server.requests[1].body.messages.at(-1), { role: 'tool', tool_call_id: 'call_Kx3bQ8nV1wZp', content: 'sum=9' })
  } finally {
    await rt.stop()
    await server.close()
  }
})
