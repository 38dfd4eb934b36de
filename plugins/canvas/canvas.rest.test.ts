import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'

let k: TestKernel
// one credential (loopback) makes every canvas here: its own quota is raised out of the way
before(async () => {
  k = await startTestKernel({ plugins: ['canvas', 'pairing'], options: { canvas: { credential_canvases: 200 } } })
})
after(async () => {
  await k.stop()
})

const bearer = () => ({ authorization: `Bearer ${k.token}` })
const post = (id: string, payload: unknown, headers?: Record<string, string>, remoteAddress?: string) =>
  k.inject({ method: 'POST', url: `/api/canvas/${id}`, payload: payload as object, headers, remoteAddress })

test('render, read, list, history and clear a canvas', async () => {
  const made = await post('rest-1', { content: '<h1>hi</h1>' })
  assert.equal(made.statusCode, 201)
  const { canvas_id, frame } = made.json()
  assert.equal(canvas_id, 'rest-1')
  assert.deepEqual(Object.keys(frame).sort(), ['content', 'content_type', 'frame_id', 'timestamp'])
  assert.equal(frame.content_type, 'html', 'html is the default type')
  assert.equal(frame.content, '<h1>hi</h1>')
  assert.match(frame.frame_id, /^[0-9a-f-]{36}$/)
  assert.ok(Math.abs(Date.parse(frame.timestamp) - Date.now()) < 60_000)

  const md = (await post('rest-1', { content_type: 'markdown', content: '# two' })).json().frame
  const current = await k.inject({ url: '/api/canvas/rest-1', headers: bearer() })
  assert.equal(current.statusCode, 200)
  assert.deepEqual(current.json(), { canvas_id: 'rest-1', frame: md })
  assert.ok((await k.inject({ url: '/api/canvas', headers: bearer() })).json().canvases.includes('rest-1'))
  const history = (await k.inject({ url: '/api/canvas/rest-1/history', headers: bearer() })).json()
  assert.deepEqual(history, { canvas_id: 'rest-1', frames: [frame, md] })

  const cleared = await k.inject({ method: 'DELETE', url: '/api/canvas/rest-1', headers: bearer() })
  assert.deepEqual(cleared.json(), { canvas_id: 'rest-1', status: 'cleared' })
  const gone = await k.inject({ url: '/api/canvas/rest-1', headers: bearer() })
  assert.equal(gone.statusCode, 404)
  assert.equal(gone.json().code, 'canvas_not_found')
  assert.deepEqual((await k.inject({ url: '/api/canvas/rest-1/history', headers: bearer() })).json().frames, [])
  assert.equal(
    (await k.inject({ url: '/api/canvas', headers: bearer() })).json().canvases.includes('rest-1'),
    false,
    'an unwatched cleared canvas frees its slot',
  )
})

test('bad content types, missing content and bad ids are 400 with a code', async () => {
  const badType = await post('v-1', { content_type: 'eval', content: 'alert(1)' })
  assert.equal(badType.statusCode, 400)
  assert.equal(badType.json().code, 'invalid_content_type')
  assert.match(badType.json().error, /Allowed: html, svg, markdown, text/)
  const noContent = await post('v-1', { content_type: 'svg' })
  assert.equal(noContent.statusCode, 400)
  assert.equal(noContent.json().code, 'missing_content')
  assert.equal((await post('v-1', { content: 42 })).json().code, 'missing_content')
  for (const id of ['a%20b', 'x'.repeat(129), 'semi%3Bcolon']) {
    const res = await post(id, { content: 'x' })
    assert.equal(res.statusCode, 400, id)
    assert.equal(res.json().code, 'invalid_canvas_id')
    assert.equal((await k.inject({ url: `/api/canvas/${id}`, headers: bearer() })).statusCode, 400)
  }
  assert.equal((await post('x'.repeat(128), { content: 'ok', content_type: 'text' })).statusCode, 201, '128 characters is allowed')
  assert.equal((await post('A-z_0.9', { content: 'ok' })).statusCode, 201)
  for (const id of ['x'.repeat(128), 'A-z_0.9']) await k.inject({ method: 'DELETE', url: `/api/canvas/${id}` })
  assert.equal((await k.inject({ url: '/api/canvas/v-1', headers: bearer() })).statusCode, 404, 'refused renders created nothing')
})

test('history keeps the last 50 frames', async () => {
  for (let i = 0; i < 55; i++) assert.equal((await post('hist', { content: `f${i}`, content_type: 'text' })).statusCode, 201)
  const { frames } = (await k.inject({ url: '/api/canvas/hist/history', headers: bearer() })).json()
  assert.equal(frames.length, 50)
  assert.equal(frames[0].content, 'f5')
  assert.equal(frames[49].content, 'f54')
  assert.equal((await k.inject({ url: '/api/canvas/hist', headers: bearer() })).json().frame.content, 'f54')
  await k.inject({ method: 'DELETE', url: '/api/canvas/hist' })
})

test('content over 256 KiB is 413 JSON; exactly 256 KiB renders, also when JSON escaping doubles it', async () => {
  const limit = 256 * 1024
  const over = await post('big', { content: 'x'.repeat(limit + 1) })
  assert.equal(over.statusCode, 413)
  assert.match(String(over.headers['content-type']), /application\/json/)
  assert.equal(over.json().code, 'content_too_large')
  assert.match(over.json().error, /262144 bytes/)
  assert.equal((await k.inject({ url: '/api/canvas/big', headers: bearer() })).statusCode, 404)
  // multi-byte characters count as their UTF-8 bytes: 87 382 × 3 bytes > 256 KiB
  assert.equal((await post('big', { content: '€'.repeat(Math.floor(limit / 3) + 1) })).statusCode, 413)

  assert.equal((await post('big', { content: 'x'.repeat(limit) })).statusCode, 201)
  const quoted = await post('big', { content: '"'.repeat(limit) })
  assert.equal(quoted.statusCode, 201, 'a 512 KiB JSON body carrying 256 KiB of content is within the route limit')
  assert.equal((await k.inject({ url: '/api/canvas/big', headers: bearer() })).json().frame.content.length, limit)
  await k.inject({ method: 'DELETE', url: '/api/canvas/big' })
})

test('the 101st canvas is refused with 429 until one is cleared; existing canvases still render', async () => {
  const before = (await k.inject({ url: '/api/canvas', headers: bearer() })).json().canvases.length
  for (let i = before; i < 100; i++) assert.equal((await post(`cap-${i}`, { content: 'x' })).statusCode, 201)
  const full = await post('cap-overflow', { content: 'x' })
  assert.equal(full.statusCode, 429)
  assert.equal(full.json().code, 'too_many_canvases')
  assert.equal(full.headers['retry-after'], '60')
  assert.equal((await post('cap-99', { content: 'again' })).statusCode, 201, 'an existing canvas is not new')
  assert.equal((await k.inject({ method: 'DELETE', url: '/api/canvas/cap-99' })).statusCode, 200)
  assert.equal((await post('cap-overflow', { content: 'x' })).statusCode, 201)
  for (const id of (await k.inject({ url: '/api/canvas', headers: bearer() })).json().canvases) {
    await k.inject({ method: 'DELETE', url: `/api/canvas/${id}` })
  }
  assert.deepEqual((await k.inject({ url: '/api/canvas', headers: bearer() })).json().canvases, [])
})

test('writes from loopback need no token; from elsewhere (or through a proxy) they need a bearer; reads always do', async () => {
  assert.equal((await post('auth-1', { content: 'local' })).statusCode, 201)
  const remote = '203.0.113.7'
  const anon = await post('auth-1', { content: 'remote' }, undefined, remote)
  assert.equal(anon.statusCode, 401)
  assert.equal(anon.json().code, 'unauthorized')
  const proxied = await post('auth-1', { content: 'proxied' }, { 'x-forwarded-for': '198.51.100.2' })
  assert.equal(proxied.statusCode, 401, 'a forwarded request from 127.0.0.1 is not local')
  assert.equal((await post('auth-1', { content: 'remote' }, bearer(), remote)).statusCode, 201)
  assert.equal((await k.inject({ method: 'DELETE', url: '/api/canvas/auth-1', remoteAddress: remote })).statusCode, 401)
  assert.equal((await k.inject({ url: '/api/canvas/auth-1' })).statusCode, 401, 'reads need a bearer even from loopback')
  assert.equal((await k.inject({ url: '/api/canvas' })).statusCode, 401)
  assert.equal((await k.inject({ url: '/api/canvas/auth-1/history' })).statusCode, 401)
  assert.equal((await k.inject({ url: '/api/canvas/auth-1', headers: bearer() })).json().frame.content, 'remote')
  assert.equal((await k.inject({ method: 'DELETE', url: '/api/canvas/auth-1', headers: bearer(), remoteAddress: remote })).statusCode, 200)
})
