/**
 * Attack (issue 10 item 7): a node whose capability schema nests 150,000 deep used to make every
 * agent turn fail ("Maximum call stack size exceeded") and MCP tools/list hang. The register is
 * now refused with a coded error frame, and turns and tools/list keep serving everyone else.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { openChat, type Frame } from '../chat/test-support/chat-client.js'
import { bootMcp, listToolNames } from '../mcp/test-helpers.js'
import { connectNode, echo, type TestNode } from './test-support/node-client.js'

const TURN_PROBE = fileURLToPath(new URL('../agent-runtime/test-fixtures/turn-probe', import.meta.url))
const DEPTH = 150_000

/** the register frame as text: built as a string so this test never recurses over the schema */
function deepRegister(nodeId: string, depth: number): string {
  const deep = '{"a":'.repeat(depth) + '{}' + '}'.repeat(depth)
  const ok = JSON.stringify({ name: 'ok', description: 'a valid capability beside the bad one' })
  return `{"type":"register","node_id":${JSON.stringify(nodeId)},"capabilities":[${ok},{"name":"deep","description":"d","parameters":${deep}}]}`
}

/** one /ws/chat turn: its last frame (done or error) and every frame up to it */
async function chatTurn(k: TestKernel, content: string): Promise<{ end: Frame; frames: Frame[] }> {
  const chat = await openChat(k)
  try {
    chat.send({ type: 'message', content })
    for (;;) {
      const f = await chat.next(undefined, 15_000)
      if (f.type === 'done' || f.type === 'error') return { end: f, frames: chat.frames }
    }
  } finally {
    await chat.close()
  }
}

test('a node capability nested 150,000 deep is refused, and turns and MCP tools/list keep serving the others', async () => {
  const m = await bootMcp({ plugins: ['nodes', 'pairing', 'chat', 'agent-runtime'], paths: [TURN_PROBE] })
  const k = m.k
  const nodes: TestNode[] = []
  try {
    const good = await connectNode(k)
    nodes.push(good)
    assert.equal((await good.register('good', [echo])).type, 'registered')
    good.answer((m) => ({ success: true, output: `good echoed ${JSON.stringify(m.args)}` }))

    const evil = await connectNode(k)
    nodes.push(evil)
    evil.ws.send(deepRegister('evil', DEPTH))
    const answer = await evil.next()
    // (a) the node is told which capability and why
    assert.equal(answer.type, 'error', JSON.stringify(answer).slice(0, 300))
    assert.equal(answer.code, 'tool_schema_too_deep')
    assert.match(answer.error, /capabilities\[1\] "deep".*deeper than 32/)
    assert.equal(answer.capability, 'deep')
    const listed = (await k.inject({ url: '/api/nodes', headers: { authorization: `Bearer ${k.token}` } })).json()
    assert.deepEqual(
      listed.nodes.map((n: any) => n.node_id),
      ['good'],
      'the refused register registered nothing',
    )

    // (b) a chat turn through the offline provider still works, and reaches the good node
    const { end, frames } = await chatTurn(k, '/tool node:good:echo {"x":1}')
    assert.equal(end.type, 'done', JSON.stringify(end))
    assert.deepEqual(
      frames.find((f) => f.type === 'tool_result'),
      { type: 'tool_result', name: 'node:good:echo', output: 'good echoed {"x":1}' },
    )

    // (c) MCP tools/list answers, with every good tool and nothing of the refused node
    const names = await listToolNames(m)
    for (const want of ['node:good:echo', 'current_time', 'fx_add']) assert.ok(names.includes(want), `${want} in ${names.join(', ')}`)
    assert.equal(
      names.some((n) => n.startsWith('node:evil:')),
      false,
    )

    // the same socket may still register its valid capabilities
    assert.deepEqual(await evil.register('evil', [{ name: 'ok', description: 'fine' }]), { type: 'registered', node_id: 'evil', capabilities_count: 1 })
  } finally {
    await Promise.all(nodes.map((n) => n.close()))
    await m.stop()
  }
})

/** `{"p":{"p":…{}…}}` with `levels` objects in all, as text */
const nested = (levels: number) => '{"p":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1)

test('schema limits at their edges: 32 levels and 64 KiB pass, one more is refused with its code', async () => {
  const k = await startTestKernel({ plugins: ['nodes', 'pairing'] })
  const n = await connectNode(k)
  try {
    const register = async (parameters: string) => {
      n.ws.send(`{"type":"register","node_id":"edge","capabilities":[{"name":"c","description":"d","parameters":${parameters}}]}`)
      return n.next()
    }
    assert.equal((await register(nested(32))).type, 'registered')
    const deep = await register(nested(33))
    assert.deepEqual([deep.type, deep.code, deep.capability], ['error', 'tool_schema_too_deep', 'c'])
    // {"type":"object","description":"xxx…"} serialised to exactly 64 KiB, then one byte more
    const sized = (bytes: number) => JSON.stringify({ type: 'object', description: 'x'.repeat(bytes - 34) })
    assert.equal(Buffer.byteLength(sized(65536)), 65536)
    assert.equal((await register(sized(65536))).type, 'registered')
    const large = await register(sized(65537))
    assert.deepEqual([large.type, large.code], ['error', 'tool_schema_too_large'])
    assert.match(large.error, /capabilities\[0\] "c": parameters serialise to more than 65536 bytes/)
  } finally {
    await n.close()
    await k.stop()
  }
})

test('a value nested 150,000 deep anywhere in a node frame gets an error frame; the gateway keeps serving', async () => {
  const k = await startTestKernel({ plugins: ['nodes', 'pairing'], config: '[nodes]\ninvoke_timeout_secs = 5\n' })
  const n = await connectNode(k)
  const deep = '['.repeat(DEPTH) + ']'.repeat(DEPTH)
  try {
    assert.equal((await n.register('n1', [echo])).type, 'registered')
    // before: serialising these for a readable answer overflowed the stack inside the socket
    // listener — an uncaught exception that ended the gateway process
    n.ws.send(`{"type":${deep}}`)
    const unknown = await n.next()
    assert.deepEqual([unknown.type, unknown.code], ['error', 'invalid_frame'])
    n.ws.send(`{"type":"result","call_id":"c1","success":true,"output":${deep}}`)
    const result = await n.next()
    assert.deepEqual([result.type, result.code], ['error', 'invalid_frame'])
    assert.match(result.error, /output and error must be strings/)

    // arguments a few thousand deep fit in a small REST body but cannot be serialised to the node
    const args = '['.repeat(6000) + ']'.repeat(6000)
    const res = await k.inject({
      method: 'POST',
      url: '/api/nodes/n1/invoke',
      headers: { authorization: `Bearer ${k.token}`, 'content-type': 'application/json' },
      payload: `{"capability":"echo","args":${args}}`,
    })
    assert.equal(res.statusCode, 400, res.body)
    assert.equal(res.json().code, 'invalid_args')
    assert.equal(
      n.msgs.some((m) => m.type === 'invoke'),
      false,
      'nothing was sent to the node',
    )

    // still serving, and the node still answers calls
    n.answer(() => ({ success: true, output: 'alive' }))
    const ok = await k.inject({ method: 'POST', url: '/api/nodes/n1/invoke', headers: { authorization: `Bearer ${k.token}` }, payload: { capability: 'echo' } })
    assert.equal(ok.json().output, 'alive')
  } finally {
    await n.close()
    await k.stop()
  }
})
