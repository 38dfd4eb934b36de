import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel } from '@revka/plugin-testing'
import { connectNode } from './test-support/node-client.js'

const NODE_TOKEN = 'node-secret-5a1f9c2e'

test('without [nodes] auth_token: a device token in any of the three places; nothing else', async () => {
  const k = await startTestKernel({ plugins: ['nodes', 'pairing'] })
  try {
    for (const placement of ['header', 'subprotocol', 'query'] as const) {
      const n = await connectNode(k, { placement })
      assert.equal(n.ws.protocol, 'revka.nodes.v1', placement)
      assert.equal((await n.register(`dev-${placement}`, [])).type, 'registered')
      await n.close()
    }
    await assert.rejects(connectNode(k, { token: null }), { statusCode: 401 })
    await assert.rejects(connectNode(k, { token: NODE_TOKEN }), { statusCode: 401 })
    await assert.rejects(connectNode(k, { protocols: ['revka.v1'] }), { statusCode: 400 }, 'the revka.nodes.v1 subprotocol is required')
  } finally {
    await k.stop()
  }
})

test('with [nodes] auth_token: the node token and device tokens work, a wrong token is 401', async () => {
  const k = await startTestKernel({ plugins: ['nodes', 'pairing'], config: `[nodes]\nauth_token = "${NODE_TOKEN}"\n` })
  try {
    for (const placement of ['header', 'subprotocol', 'query'] as const) {
      const n = await connectNode(k, { token: NODE_TOKEN, placement })
      assert.equal((await n.register(`node-${placement}`, [])).type, 'registered', placement)
      await n.close()
    }
    const device = await connectNode(k)
    assert.equal((await device.register('by-device', [])).type, 'registered')
    await device.close()
    await assert.rejects(connectNode(k, { token: `${NODE_TOKEN}x` }), { statusCode: 401 })
    await assert.rejects(connectNode(k, { token: null }), { statusCode: 401 })
    // the node token opens /ws/nodes only, not the REST routes
    const rest = await k.inject({ url: '/api/nodes', headers: { authorization: `Bearer ${NODE_TOKEN}` } })
    assert.equal(rest.statusCode, 401)
  } finally {
    await k.stop()
  }
})

test('with pairing off, a configured auth_token still guards /ws/nodes', async () => {
  const k = await startTestKernel({
    plugins: ['nodes', 'pairing'],
    config: `[gateway]\nrequire_pairing = false\n\n[nodes]\nauth_token = "${NODE_TOKEN}"\n`,
  })
  try {
    await assert.rejects(connectNode(k, { token: null }), { statusCode: 401 })
    await assert.rejects(connectNode(k, { token: 'guess' }), { statusCode: 401 })
    const n = await connectNode(k, { token: NODE_TOKEN })
    assert.equal((await n.register('open-gw', [])).type, 'registered')
    await n.close()
    assert.equal((await k.inject({ url: '/api/nodes' })).statusCode, 200, 'REST follows pairing-off as before')
  } finally {
    await k.stop()
  }
})
