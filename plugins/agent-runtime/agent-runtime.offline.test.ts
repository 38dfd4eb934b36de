import { test } from 'node:test'
import assert from 'node:assert/strict'
import { agentTypes, bootRuntime, user } from './test-helpers.js'

test('with no config the offline responder streams a multi-chunk reply built from the conversation', async () => {
  const rt = await bootRuntime()
  try {
    const messages = [user('hello there'), { role: 'assistant', content: 'hi' }, user('what is the capital of France?')]
    const r = await rt.turn({ messages, sessionId: 's-offline', source: 'ws_chat' })
    assert.equal(r.ok, true, JSON.stringify(r.error))
    const chunks = r.events.filter((e) => e.type === 'chunk').map((e: any) => e.content)
    assert.ok(chunks.length >= 3, `expected several chunks, got ${chunks.length}`)
    assert.equal(chunks.join(''), r.result!.content)
    assert.match(r.result!.content, /You said: "what is the capital of France\?"/)
    assert.match(r.result!.content, /3 messages, 2 from you/)
    assert.equal(r.result!.provider, 'offline')
    assert.equal(r.result!.model, 'offline-echo')
    assert.equal(r.result!.stopped, false)
    assert.equal(r.result!.timedOut, false)
    assert.equal(r.result!.cost_usd, 0)
    assert.ok(r.result!.usage.input_tokens > 0 && r.result!.usage.output_tokens > 0)
    assert.deepEqual(r.result!.messages, [{ role: 'assistant', content: r.result!.content }])

    // deterministic: the same conversation gets the same answer
    const again = await rt.turn({ messages, sessionId: 's-offline' })
    assert.equal(again.result!.content, r.result!.content)

    const first = rt.bus.filter((e) => (e as any).session_id === 's-offline').slice(0, 3)
    assert.deepEqual(
      first.map((e) => e.type),
      ['agent_start', 'llm_request', 'agent_end'],
    )
    const end = first[2] as any
    assert.equal(end.provider, 'offline')
    assert.equal(end.model, 'offline-echo')
    assert.equal(end.source, 'ws_chat')
    assert.ok(end.duration_ms >= 0 && Number.isFinite(end.duration_ms))
    assert.equal(end.tokens_used, r.result!.usage.input_tokens + r.result!.usage.output_tokens)
    assert.equal(end.input_tokens, r.result!.usage.input_tokens)
    assert.equal(end.cost_usd, 0)
  } finally {
    await rt.stop()
  }
})

test('the offline reply mentions attachments and the tools it can run', async () => {
  const rt = await bootRuntime()
  try {
    const r = await rt.turn({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'please read this' },
            { type: 'text', text: 'Quarterly report: revenue grew 12%' },
            { type: 'image', mime: 'image/png', path: '/tmp/chart.png' },
          ],
        },
      ],
    })
    assert.equal(r.ok, true)
    assert.match(r.result!.content, /You attached 2 items/)
    assert.match(r.result!.content, /Quarterly report: revenue grew 12%/)
    assert.match(r.result!.content, /chart\.png/)
    assert.match(r.result!.content, /fx_add/)
    assert.match(r.result!.content, /\/tool <name>/)
  } finally {
    await rt.stop()
  }
})

test('/api/status reports the offline provider, its model and the default temperature', async () => {
  const rt = await bootRuntime()
  try {
    const res = await rt.k.inject({ url: '/api/status', headers: { authorization: `Bearer ${rt.k.token}` } })
    assert.equal(res.statusCode, 200)
    const doc = res.json()
    assert.equal(doc.provider, 'offline')
    assert.equal(doc.model, 'offline-echo')
    assert.equal(doc.temperature, 0.7)
    assert.equal(rt.k.plugin('agent-runtime')?.status, 'started')
    assert.deepEqual(agentTypes(rt.bus), [])
  } finally {
    await rt.stop()
  }
})
