import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { openViewer, TOOL_PROBE } from './test-support/viewer.js'

let k: TestKernel
before(async () => {
  k = await startTestKernel({ plugins: ['canvas', 'pairing'], paths: [TOOL_PROBE] })
})
after(async () => {
  await k.stop()
})

test('canvas_render is in the tool registry with its argument schema', async () => {
  const { tools } = (await k.inject({ url: '/fx/tools' })).json()
  const tool = tools.find((t: any) => t.name === 'canvas_render')
  assert.ok(tool, `tools were ${tools.map((t: any) => t.name)}`)
  assert.equal(tool.plugin, 'canvas')
  assert.deepEqual(tool.parameters.required, ['canvas_id', 'content'])
  assert.deepEqual(tool.parameters.properties.content_type.enum, ['html', 'svg', 'markdown', 'text'])
})

test('the tool renders to the canvas: viewers see the frame and REST serves it', async () => {
  const v = await openViewer(k, 'agent')
  try {
    await v.next('connected')
    const res = await k.inject({ method: 'POST', url: '/fx/tools/canvas_render', payload: { canvas_id: 'agent', content: '<svg/>', content_type: 'svg' } })
    assert.equal(res.json().success, true)
    assert.match(res.json().output, /^Rendered svg content to canvas 'agent' \(frame: [0-9a-f-]{36}\)$/)
    const live = await v.next('frame')
    assert.equal(live.frame.content, '<svg/>')
    assert.equal(live.frame.content_type, 'svg')
    const current = (await k.inject({ url: '/api/canvas/agent', headers: { authorization: `Bearer ${k.token}` } })).json()
    assert.deepEqual(current.frame, live.frame)
  } finally {
    await v.close()
    await k.inject({ method: 'DELETE', url: '/api/canvas/agent' })
  }
})

test('refused tool renders are failed results the model can read', async () => {
  const run = async (args: object) => (await k.inject({ method: 'POST', url: '/fx/tools/canvas_render', payload: args })).json()
  const cases: Array<[object, RegExp]> = [
    [{ content: 'x' }, /Invalid canvas id/],
    [{ canvas_id: '../etc', content: 'x' }, /Invalid canvas id/],
    [{ canvas_id: 'ok' }, /Missing required field: content/],
    [{ canvas_id: 'ok', content: 'x', content_type: 'eval' }, /Invalid content_type "eval"/],
    [{ canvas_id: 'ok', content: 'x'.repeat(256 * 1024 + 1) }, /exceeds maximum size of 262144 bytes/],
  ]
  for (const [args, why] of cases) {
    const r = await run(args)
    assert.equal(r.success, false, JSON.stringify(args).slice(0, 80))
    assert.match(r.output, why)
  }
  assert.equal((await k.inject({ url: '/api/canvas', headers: { authorization: `Bearer ${k.token}` } })).json().canvases.length, 0)
})
