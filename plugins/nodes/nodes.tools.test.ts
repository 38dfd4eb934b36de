import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { connectNode, echo, TOOL_PROBE, waitFor } from './test-support/node-client.js'

const toolNames = async (k: TestKernel) => ((await k.inject({ url: '/fx/tools' })).json().tools as any[]).map((t) => t.name)

test('each capability is an agent tool node:<id>:<capability> while the node is connected', async () => {
  const k = await startTestKernel({ plugins: ['nodes', 'pairing'], paths: [TOOL_PROBE], config: '[nodes]\ninvoke_timeout_secs = 0.3\n' })
  try {
    assert.equal(
      (await toolNames(k)).some((n) => n.startsWith('node:')),
      false,
    )
    const n = await connectNode(k)
    const schema = { type: 'object', properties: { x: { type: 'number' } }, required: ['x'] }
    await n.register('n1', [echo, { name: 'add.one', description: 'x + 1', parameters: schema }])
    n.answer((m) => (m.capability === 'echo' ? { success: true, output: JSON.stringify(m.args) } : { success: false, output: 'partial', error: 'refused' }))

    const tools = (await k.inject({ url: '/fx/tools' })).json().tools as any[]
    const mine = tools.filter((t) => t.name.startsWith('node:'))
    assert.deepEqual(
      mine.map((t) => t.name),
      ['node:n1:echo', 'node:n1:add.one'],
    )
    assert.equal(mine[0].plugin, 'nodes')
    assert.match(mine[0].description, /^\[node n1\] Echo the arguments/)
    assert.deepEqual(mine[0].parameters, { type: 'object', properties: {} }, 'parameters default to an empty object schema')
    assert.deepEqual(mine[1].parameters, schema)

    const run = async (name: string, args: object) => (await k.inject({ method: 'POST', url: `/fx/tools/${name}`, payload: args })).json()
    assert.deepEqual(await run('node:n1:echo', { x: 1 }), { success: true, output: '{"x":1}' })
    assert.deepEqual(await run('node:n1:add.one', { x: 1 }), { success: false, output: 'refused\npartial' })

    // a node that does not answer: the tool fails at the same hard limit as REST
    n.answer(() => null)
    const late = await run('node:n1:echo', {})
    assert.equal(late.success, false)
    assert.match(late.output, /timed out \(0\.3s\)/)

    await n.close()
    await waitFor(async () => !(await toolNames(k)).some((x) => x.startsWith('node:')), 3000, 'the tools to disappear')
  } finally {
    await k.stop()
  }
})

test('a node id the tool registry cannot name keeps its REST route but is not offered as a tool', async () => {
  const k = await startTestKernel({ plugins: ['nodes', 'pairing'], paths: [TOOL_PROBE] })
  const n = await connectNode(k)
  try {
    await n.register('kitchen sensor', [echo])
    n.answer(() => ({ success: true, output: 'ok' }))
    assert.equal(
      (await toolNames(k)).some((x) => x.startsWith('node:')),
      false,
    )
    const res = await k.inject({
      method: 'POST',
      url: '/api/nodes/kitchen%20sensor/invoke',
      headers: { authorization: `Bearer ${k.token}` },
      payload: { capability: 'echo' },
    })
    assert.equal(res.json().output, 'ok')
  } finally {
    await n.close()
    await k.stop()
  }
})

const here = fileURLToPath(new URL('.', import.meta.url))
const haveAgent = existsSync(`${here}../agent-runtime/revka.plugin.json`) && existsSync(`${here}../chat/revka.plugin.json`)

test(
  'end to end: an agent turn on /ws/chat calls the node capability and relays its answer',
  { skip: !haveAgent && 'needs plugins/agent-runtime and plugins/chat' },
  async () => {
    const k = await startTestKernel({ plugins: ['nodes', 'chat', 'agent-runtime', 'pairing'] })
    const n = await connectNode(k)
    const chat = new WebSocket(`${k.url!.replace(/^http/, 'ws')}/ws/chat`, ['revka.v1'], { headers: { authorization: `Bearer ${k.token}` } })
    try {
      await n.register('n1', [echo])
      n.answer((m) => ({ success: true, output: `node n1 echoed ${JSON.stringify(m.args)}` }))
      const frames: any[] = []
      const done = new Promise<any>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no done frame; got ${JSON.stringify(frames).slice(0, 800)}`)), 10_000)
        chat.on('message', (d) => {
          const f = JSON.parse(String(d))
          frames.push(f)
          if (f.type === 'done' || f.type === 'error') {
            clearTimeout(timer)
            resolve(f)
          }
        })
      })
      await new Promise((r, j) => {
        chat.once('open', r)
        chat.once('error', j)
      })
      chat.send(JSON.stringify({ type: 'message', content: '/tool node:n1:echo {"x":1}' }))
      const end = await done
      assert.equal(end.type, 'done', JSON.stringify(end))
      const call = frames.find((f) => f.type === 'tool_call')
      assert.deepEqual(call, { type: 'tool_call', name: 'node:n1:echo', args: { x: 1 } })
      const result = frames.find((f) => f.type === 'tool_result')
      assert.deepEqual(result, { type: 'tool_result', name: 'node:n1:echo', output: 'node n1 echoed {"x":1}' })
      assert.match(end.full_response, /node n1 echoed \{"x":1\}/)
      const invoke = n.msgs.find((m) => m.type === 'invoke')!
      assert.deepEqual([invoke.capability, invoke.args], ['echo', { x: 1 }])
    } finally {
      chat.terminate()
      await n.close()
      await k.stop()
    }
  },
)
