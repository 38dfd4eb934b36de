import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { connectNode, echo, waitFor } from './test-support/node-client.js'

// a short hard limit so the timeout test takes a fraction of a second (the default is 30 s)
let k: TestKernel
before(async () => {
  k = await startTestKernel({ plugins: ['nodes', 'pairing', 'status'], config: '[nodes]\ninvoke_timeout_secs = 0.3\n' })
})
after(async () => {
  await k.stop()
})

const bearer = () => ({ authorization: `Bearer ${k.token}` })
const invoke = (nodeId: string, payload: unknown) =>
  k.inject({ method: 'POST', url: `/api/nodes/${encodeURIComponent(nodeId)}/invoke`, headers: bearer(), payload: payload as object })

test("REST invoke reaches the node, and the node's result is the reply", async () => {
  const n = await connectNode(k)
  try {
    await n.register('n1', [echo, { name: 'fail', description: 'always fails' }])
    n.answer((m) => (m.capability === 'echo' ? { success: true, output: JSON.stringify(m.args) } : { success: false, output: '', error: 'it broke' }))
    const res = await invoke('n1', { capability: 'echo', args: { x: 1, nested: { y: [2] } } })
    assert.equal(res.statusCode, 200)
    const seen = n.msgs.find((m) => m.type === 'invoke')!
    assert.deepEqual(Object.keys(seen).sort(), ['args', 'call_id', 'capability', 'type'])
    assert.deepEqual(seen.args, { x: 1, nested: { y: [2] } })
    assert.match(seen.call_id, /^[0-9a-f-]{36}$/)
    assert.deepEqual(res.json(), { call_id: seen.call_id, success: true, output: '{"x":1,"nested":{"y":[2]}}', error: null })

    assert.deepEqual((await invoke('n1', { capability: 'echo' })).json().output, '{}', 'args default to {}')
    const failed = await invoke('n1', { capability: 'fail' })
    assert.equal(failed.statusCode, 200, 'a failed capability is still an answer')
    assert.equal(failed.json().success, false)
    assert.equal(failed.json().error, 'it broke')

    // two calls in flight at once are told apart by call_id
    const [a, b] = await Promise.all([invoke('n1', { capability: 'echo', args: { i: 'a' } }), invoke('n1', { capability: 'echo', args: { i: 'b' } })])
    assert.equal(a.json().output, '{"i":"a"}')
    assert.equal(b.json().output, '{"i":"b"}')
  } finally {
    await n.close()
  }
})

test('unknown node 404, missing or unknown capability 400, no bearer 401', async () => {
  const ghost = await invoke('ghost', { capability: 'echo' })
  assert.equal(ghost.statusCode, 404)
  assert.deepEqual(ghost.json(), { error: 'Node not found: ghost', code: 'node_not_found' })
  const n = await connectNode(k)
  try {
    await n.register('n2', [echo])
    const missing = await invoke('n2', { args: {} })
    assert.equal(missing.statusCode, 400)
    assert.equal(missing.json().code, 'missing_capability')
    const unknown = await invoke('n2', { capability: 'fly' })
    assert.equal(unknown.statusCode, 400)
    assert.equal(unknown.json().code, 'unknown_capability')
    assert.match(unknown.json().error, /offers: echo/)
    const anon = await k.inject({ method: 'POST', url: '/api/nodes/n2/invoke', payload: { capability: 'echo' } })
    assert.equal(anon.statusCode, 401)
    assert.equal(
      n.msgs.some((m) => m.type === 'invoke'),
      false,
      'no refused call reached the node',
    )
  } finally {
    await n.close()
  }
})

test('a node that never answers gives 504 at the hard limit; its late answer is ignored', async () => {
  const n = await connectNode(k)
  try {
    await n.register('slow', [echo])
    const started = Date.now()
    const res = await invoke('slow', { capability: 'echo' })
    const took = Date.now() - started
    assert.equal(res.statusCode, 504)
    assert.equal(res.json().code, 'node_timeout')
    assert.equal(res.json().error, 'Node invocation timed out (0.3s)')
    assert.ok(took >= 280 && took < 2000, `answered after ${took} ms`)
    const call = await n.next('invoke')
    assert.equal(res.json().call_id, call.call_id)
    n.send({ type: 'result', call_id: call.call_id, success: true, output: 'too late' })
    n.answer(() => ({ success: true, output: 'on time' }))
    assert.equal((await invoke('slow', { capability: 'echo' })).json().output, 'on time')
    assert.equal((await k.inject({ url: '/api/status', headers: bearer() })).json().nodes.pending_calls, 0)
  } finally {
    await n.close()
  }
})

test('a node that disconnects mid-call fails the call at once with 500', async () => {
  // a long limit, so an answer after the timeout would show
  const slow = await startTestKernel({ plugins: ['nodes', 'pairing'], config: '[nodes]\ninvoke_timeout_secs = 20\n' })
  try {
    const n = await connectNode(slow)
    await n.register('leaver', [echo])
    n.answer(() => {
      setTimeout(() => n.ws.terminate(), 50)
      return null
    })
    const started = Date.now()
    const res = await slow.inject({
      method: 'POST',
      url: '/api/nodes/leaver/invoke',
      headers: { authorization: `Bearer ${slow.token}` },
      payload: { capability: 'echo' },
    })
    const took = Date.now() - started
    assert.equal(res.statusCode, 500)
    assert.equal(res.json().code, 'node_disconnected')
    assert.match(res.json().error, /leaver disconnected before answering/)
    assert.ok(took < 2000, `answered after ${took} ms, not at once`)
    await waitFor(async () => (await slow.inject({ url: '/api/nodes', headers: { authorization: `Bearer ${slow.token}` } })).json().count === 0)
  } finally {
    await slow.stop()
  }
})
