import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { connectNode, echo, waitFor } from './test-support/node-client.js'

let k: TestKernel
before(async () => {
  k = await startTestKernel({ plugins: ['nodes', 'pairing'], config: '[nodes]\nmax_nodes = 2\n' })
})
after(async () => {
  await k.stop()
})

const listNodes = async () => (await k.inject({ url: '/api/nodes', headers: { authorization: `Bearer ${k.token}` } })).json()

test('register is acknowledged, listed, and undone by disconnecting', async () => {
  const n = await connectNode(k)
  assert.equal(n.ws.protocol, 'revka.nodes.v1')
  const ack = await n.register('phone-1', [
    echo,
    { name: 'camera.snap', description: 'Take a photo', parameters: { type: 'object', properties: { flash: { type: 'boolean' } } } },
  ])
  assert.deepEqual(ack, { type: 'registered', node_id: 'phone-1', capabilities_count: 2 })
  assert.deepEqual(await listNodes(), {
    nodes: [
      {
        node_id: 'phone-1',
        capabilities: [
          { name: 'echo', description: echo.description },
          { name: 'camera.snap', description: 'Take a photo' },
        ],
        capability_count: 2,
      },
    ],
    count: 1,
  })
  assert.equal((await k.inject({ url: '/api/nodes' })).statusCode, 401, 'listing needs a bearer')
  await n.close()
  await waitFor(async () => (await listNodes()).count === 0, 3000, 'the node to be unregistered')
})

test('bad frames get an error frame with the reason, and the socket stays usable', async () => {
  const n = await connectNode(k)
  try {
    const cases: Array<[unknown, RegExp]> = [
      [{ type: 'register', node_id: '', capabilities: [] }, /Invalid node_id: node_id must be a non-empty string/],
      [{ type: 'register', node_id: 'x'.repeat(129), capabilities: [] }, /at most 128 bytes/],
      [{ type: 'register', node_id: 'é'.repeat(65), capabilities: [] }, /at most 128 bytes/],
      [{ type: 'register', node_id: 'bad\nid', capabilities: [] }, /control characters/],
      [{ type: 'register', node_id: 42, capabilities: [] }, /Invalid node_id/],
      [{ type: 'register', node_id: 'n' }, /Invalid capabilities: capabilities must be an array/],
      [{ type: 'register', node_id: 'n', capabilities: [{ description: 'no name' }] }, /capabilities\[0\]\.name/],
      [{ type: 'register', node_id: 'n', capabilities: [echo, echo] }, /listed twice/],
      [{ type: 'register', node_id: 'n', capabilities: [{ name: 'a', description: 'd', parameters: 'nope' }] }, /parameters must be a JSON Schema object/],
      [{ type: 'dance' }, /Unknown message type "dance"/],
      ['{not json', /Invalid JSON/],
      [[1, 2], /Expected a JSON object/],
    ]
    for (const [frame, why] of cases) {
      n.send(frame)
      const m = await n.next()
      assert.equal(m.type, 'error', JSON.stringify(frame).slice(0, 60))
      assert.match(m.error, why)
    }
    assert.equal((await listNodes()).count, 0, 'nothing was registered')
    assert.deepEqual(await n.register('x'.repeat(128), []), { type: 'registered', node_id: 'x'.repeat(128), capabilities_count: 0 })
  } finally {
    await n.close()
  }
  await waitFor(async () => (await listNodes()).count === 0)
})

test('a full registry refuses a new id with an error, but a known id may re-register', async () => {
  const a = await connectNode(k)
  const b = await connectNode(k)
  const c = await connectNode(k)
  try {
    assert.equal((await a.register('full-a', [echo])).type, 'registered')
    assert.equal((await b.register('full-b', [])).type, 'registered')
    assert.deepEqual(await c.register('full-c', []), { type: 'error', error: 'Node registry is full (max_nodes = 2)', code: 'registry_full' })
    // a socket may rename itself even when full: it gives up its own slot
    assert.equal((await b.register('full-b2', [])).type, 'registered')
    assert.deepEqual((await listNodes()).nodes.map((n: any) => n.node_id).sort(), ['full-a', 'full-b2'])
    await b.close()
    await waitFor(async () => (await listNodes()).count === 1)
    assert.equal((await c.register('full-c', [])).type, 'registered', 'a slot freed by a disconnect can be taken')
  } finally {
    await Promise.all([a.close(), b.close(), c.close()])
  }
  await waitFor(async () => (await listNodes()).count === 0)
})

test('registering an id that is already connected replaces the older connection and closes it', async () => {
  const old = await connectNode(k)
  const fresh = await connectNode(k)
  try {
    await old.register('dup', [{ name: 'old', description: 'old cap' }])
    assert.equal((await fresh.register('dup', [{ name: 'new', description: 'new cap' }, echo])).capabilities_count, 2)
    assert.equal(await old.closed, 4409)
    // the old socket's close must not unregister its successor
    await new Promise((r) => setTimeout(r, 50))
    const { nodes, count } = await listNodes()
    assert.equal(count, 1)
    assert.deepEqual(
      nodes[0].capabilities.map((c: any) => c.name),
      ['new', 'echo'],
    )
  } finally {
    await fresh.close()
  }
  await waitFor(async () => (await listNodes()).count === 0)
})
