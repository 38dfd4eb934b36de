/**
 * Per-node quotas: calls in flight per node (each holds a timer and a waiting request for up to
 * the hard limit), and capabilities across all nodes (each is a tool sent to the model on every
 * turn; the tool registry lists at most 1,024 tools for everyone).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel } from '@revka/plugin-testing'
import { connectNode, echo, waitFor, type TestNode } from './test-support/node-client.js'

const caps = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `c${i}`, description: `capability ${i}` }))

test('a node has at most max_pending_per_node calls in flight; one more is 429 node_busy and never reaches it', async () => {
  const k = await startTestKernel({ plugins: ['nodes', 'pairing'], config: '[nodes]\nmax_pending_per_node = 2\ninvoke_timeout_secs = 5\n' })
  const slow = await connectNode(k)
  const other = await connectNode(k)
  const invoke = (nodeId: string) =>
    k.inject({ method: 'POST', url: `/api/nodes/${nodeId}/invoke`, headers: { authorization: `Bearer ${k.token}` }, payload: { capability: 'echo' } })
  try {
    await slow.register('slow', [echo])
    await other.register('other', [echo])
    other.answer(() => ({ success: true, output: 'other answered' }))
    const held = [invoke('slow'), invoke('slow')]
    await waitFor(() => slow.msgs.filter((m) => m.type === 'invoke').length === 2, 3000, 'two invokes at the slow node')

    const busy = await invoke('slow')
    assert.equal(busy.statusCode, 429, busy.body)
    assert.equal(busy.json().code, 'node_busy')
    assert.match(busy.json().error, /slow.*2 calls/)
    assert.ok(Number(busy.headers['retry-after']) >= 1)
    assert.equal(slow.msgs.filter((m) => m.type === 'invoke').length, 2, 'the refused call was not sent')
    assert.equal((await invoke('other')).json().output, 'other answered', 'another node is not affected')

    // answering frees the slots
    for (const m of slow.msgs.filter((x) => x.type === 'invoke')) slow.send({ type: 'result', call_id: m.call_id, success: true, output: 'late but fine' })
    for (const r of await Promise.all(held)) assert.equal(r.statusCode, 200)
    slow.answer(() => ({ success: true, output: 'free again' }))
    assert.equal((await invoke('slow')).json().output, 'free again')
  } finally {
    await Promise.all([slow.close(), other.close()])
    await k.stop()
  }
})

test('capabilities across all nodes are capped at max_capabilities; a node re-registering gives its own back first', async () => {
  const k = await startTestKernel({ plugins: ['nodes', 'pairing'], config: '[nodes]\nmax_capabilities = 3\n' })
  const nodes: TestNode[] = []
  try {
    const a = await connectNode(k)
    const b = await connectNode(k)
    nodes.push(a, b)
    assert.equal((await a.register('a', caps(2))).type, 'registered')
    const refused = await b.register('b', caps(2))
    assert.deepEqual([refused.type, refused.code], ['error', 'capabilities_full'])
    assert.match(refused.error, /max_capabilities = 3/)
    assert.equal((await b.register('b', caps(1))).type, 'registered')
    // a's own two are released when it registers again
    assert.equal((await a.register('a', caps(2))).type, 'registered')
    const listed = (await k.inject({ url: '/api/nodes', headers: { authorization: `Bearer ${k.token}` } })).json()
    assert.equal(
      listed.nodes.reduce((n: number, x: any) => n + x.capability_count, 0),
      3,
    )
  } finally {
    await Promise.all(nodes.map((n) => n.close()))
    await k.stop()
  }
})
