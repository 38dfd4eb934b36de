import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { openViewer, render, type Msg } from './test-support/viewer.js'

let k: TestKernel
// a small socket bound (default 4 MiB) so a stalled viewer lags after a few MiB, not after many
before(async () => {
  k = await startTestKernel({ plugins: ['canvas', 'pairing', 'status'], options: { canvas: { max_buffered_bytes: 64 * 1024, credential_canvases: 200 } } })
})
after(async () => {
  await k.stop()
})

const bearer = () => ({ authorization: `Bearer ${k.token}` })

test('two viewers both get connected, then every frame; client messages are ignored', async () => {
  const a = await openViewer(k, 'fan')
  const b = await openViewer(k, 'fan', { token: null, protocols: ['revka.v1', `bearer.${k.token}`] })
  try {
    assert.deepEqual(await a.next(), { type: 'connected', canvas_id: 'fan' }, 'no frame first: the canvas is empty')
    assert.deepEqual(await b.next(), { type: 'connected', canvas_id: 'fan' })
    a.ws.send('{"type":"render","content":"ignored"}')
    a.ws.send('not json at all')
    const one = await render(k, 'fan', '<p>one</p>')
    const two = await render(k, 'fan', 'two', 'text')
    for (const v of [a, b]) {
      assert.deepEqual(await v.next(), { type: 'frame', canvas_id: 'fan', frame: one })
      assert.deepEqual(await v.next(), { type: 'frame', canvas_id: 'fan', frame: two })
    }
    assert.equal(a.ws.protocol, 'revka.v1')
    assert.equal(b.ws.protocol, 'revka.v1', 'the bearer.<t> entry is never selected')
  } finally {
    await a.close()
    await b.close()
    await k.inject({ method: 'DELETE', url: '/api/canvas/fan' })
  }
})

test('a new viewer gets the current frame before connected; a clear reaches viewers as a clear frame', async () => {
  await render(k, 'late', 'first')
  const current = await render(k, 'late', 'second')
  const v = await openViewer(k, 'late')
  try {
    assert.deepEqual(await v.next(), { type: 'frame', canvas_id: 'late', frame: current })
    assert.deepEqual(await v.next(), { type: 'connected', canvas_id: 'late' })
    await k.inject({ method: 'DELETE', url: '/api/canvas/late', headers: bearer() })
    const cleared = await v.next()
    assert.equal(cleared.type, 'frame')
    assert.equal(cleared.frame.content_type, 'clear')
    assert.equal(cleared.frame.content, '')
    assert.deepEqual((await k.inject({ url: '/api/canvas', headers: bearer() })).json().canvases, ['late'], 'a watched canvas stays listed')
  } finally {
    await v.close()
  }
  // the last viewer left an empty canvas: its slot is free again
  await waitFor(async () => (await k.inject({ url: '/api/canvas', headers: bearer() })).json().canvases.length === 0)
})

test('the upgrade needs a token and the revka.v1 subprotocol; bad ids get an error frame', async () => {
  await assert.rejects(openViewer(k, 'auth', { token: null }), { statusCode: 401 })
  await assert.rejects(openViewer(k, 'auth', { token: 'wrong-token' }), { statusCode: 401 })
  await assert.rejects(openViewer(k, 'auth', { protocols: ['other.v1'] }), { statusCode: 400 })
  const bad = await openViewer(k, 'semi;colon')
  const closed = new Promise<number>((r) => bad.ws.once('close', (code) => r(code)))
  assert.equal((await bad.next()).type, 'error')
  assert.equal(await closed, 4400)
})

test('a viewer that stops reading is told how many frames it missed, then gets the newest; the other viewer gets everything', async () => {
  const slow = await openViewer(k, 'lag')
  const fast = await openViewer(k, 'lag')
  try {
    await slow.next('connected')
    await fast.next('connected')
    // the slow viewer stops reading: first the loopback socket buffers fill, then the server skips it
    slow.ws.pause()
    const blob = 'x'.repeat(128 * 1024)
    const status = async () => (await k.inject({ url: '/api/status', headers: bearer() })).json().canvas
    let sent = 0
    while ((await status()).lagging_viewers === 0) {
      assert.ok(sent < 2000, 'the stalled viewer never lagged')
      for (let i = 0; i < 4; i++) await render(k, 'lag', `${sent++}:${blob}`, 'text')
    }
    const last = await render(k, 'lag', `${sent++}:last`, 'text')
    const total = sent

    // the reading viewer got every frame, in order
    for (let i = 0; i < total; i++) {
      const m = await fast.next('frame')
      assert.equal(m.frame.content.split(':')[0], String(i))
    }

    slow.ws.resume()
    const got: Msg[] = []
    while (got.at(-1)?.frame?.frame_id !== last.frame_id) got.push(await slow.next())
    const lagged = got.filter((m) => m.type === 'lagged')
    const frames = got.filter((m) => m.type === 'frame')
    assert.ok(lagged.length >= 1, 'told it lagged')
    assert.deepEqual(Object.keys(lagged[0]).sort(), ['canvas_id', 'missed_frames', 'type'])
    assert.equal(lagged[0].canvas_id, 'lag')
    const missed = lagged.reduce((n, m) => n + m.missed_frames, 0)
    assert.ok(missed > 0)
    assert.equal(frames.length + missed, total, 'every frame was either delivered or counted as missed')
    const order = frames.map((m) => Number(m.frame.content.split(':')[0]))
    assert.deepEqual(
      order,
      [...order].sort((x, y) => x - y),
      'delivered frames stay in order',
    )
    const { canvases, viewers, lagging_viewers, missed_frames } = await status()
    assert.deepEqual({ canvases, viewers, lagging_viewers, missed_frames }, { canvases: 1, viewers: 2, lagging_viewers: 0, missed_frames: missed })
  } finally {
    await slow.close()
    await fast.close()
    await k.inject({ method: 'DELETE', url: '/api/canvas/lag' })
  }
})

test('at 100 canvases a viewer of a new canvas still connects (viewers take no slot) and sees its first render once one is free', async () => {
  for (let i = 0; i < 100; i++) await render(k, `full-${i}`, 'x')
  const waiting = await openViewer(k, 'full-new')
  const ok = await openViewer(k, 'full-7')
  try {
    assert.deepEqual(await waiting.next(), { type: 'connected', canvas_id: 'full-new' })
    assert.equal((await ok.next()).type, 'frame')
    assert.equal((await ok.next()).type, 'connected')
    const full = await k.inject({ method: 'POST', url: '/api/canvas/full-new', payload: { content: 'x' } })
    assert.equal(full.statusCode, 429, 'the slots are still all taken by live canvases')
    assert.equal(full.json().code, 'too_many_canvases')
    await k.inject({ method: 'DELETE', url: '/api/canvas/full-3' })
    const frame = await render(k, 'full-new', 'first')
    assert.deepEqual(await waiting.next('frame'), { type: 'frame', canvas_id: 'full-new', frame })
  } finally {
    await ok.close()
    await waiting.close()
    for (let i = 0; i < 100; i++) await k.inject({ method: 'DELETE', url: `/api/canvas/full-${i}` })
    await k.inject({ method: 'DELETE', url: '/api/canvas/full-new' })
  }
})

async function waitFor(cond: () => Promise<boolean>, ms = 3000): Promise<void> {
  const until = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}
