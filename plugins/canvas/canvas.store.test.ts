/**
 * The canvas store's byte and slot accounting on its own (the wire behaviour is in
 * canvas.quota.test.ts): the budget holds after every render whoever writes, idle canvases go
 * least recently used first and never while watched, and a refused render changes nothing.
 * A hand-moved clock stands in for time.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FRAME_OVERHEAD, heldBytes, type CanvasLimits } from './limits.js'
import { CanvasStore, isStoreRefusal, type Frame } from './store.js'

const MiB = 1024 * 1024
const blob = 'x'.repeat(256 * 1024 - 64)

function store(over: Partial<CanvasLimits> = {}) {
  const clock = { now: 1_000_000 }
  const limits: CanvasLimits = { maxCanvases: 100, maxTotalBytes: 8 * MiB, credentialCanvases: 32, credentialBytes: 3 * MiB, idleMs: 60_000, ...over }
  return { s: new CanvasStore(limits, () => clock.now), clock, limits }
}

function rendered(r: Frame | unknown): Frame {
  assert.ok(!isStoreRefusal(r), `refused: ${JSON.stringify(r)}`)
  return r as Frame
}

test('held bytes: ASCII exact, anything else at least UTF-8 and two bytes per UTF-16 unit, plus a per-frame overhead', () => {
  assert.equal(heldBytes('abc'), 3 + FRAME_OVERHEAD)
  assert.equal(heldBytes('é'.repeat(10)), 20 + FRAME_OVERHEAD)
  assert.equal(heldBytes('€'.repeat(10)), 30 + FRAME_OVERHEAD)
  assert.equal(heldBytes(`a${'€'}${'b'.repeat(98)}`), 200 + FRAME_OVERHEAD, 'one wide character makes V8 store the whole string at two bytes each')
})

test('six credentials flooding: the total never passes the budget, nor any credential its quota; every canvas keeps its newest frame', () => {
  const { s, limits } = store()
  const who = ['loopback', 'agent', 'device:a', 'device:b', 'device:c', 'device:d']
  for (let round = 0; round < 20; round++) {
    for (const [n, w] of who.entries()) {
      const frame = rendered(s.render(`c-${n}-${round % 4}`, 'text', `${round}:${blob}`, w))
      assert.ok(s.bytes <= limits.maxTotalBytes, `total ${s.bytes} > ${limits.maxTotalBytes}`)
      for (const x of who) assert.ok(s.bytesOf(x) <= limits.credentialBytes, `${x} holds ${s.bytesOf(x)}`)
      assert.equal(s.snapshot(`c-${n}-${round % 4}`)!.frame_id, frame.frame_id)
    }
  }
  assert.ok(s.bytes > limits.maxTotalBytes - 2 * MiB, 'the budget is used')
  for (const id of s.list()) s.clear(id)
  assert.equal(s.bytes, 0)
  for (const x of who) assert.equal(s.bytesOf(x), 0)
})

test('live current frames filling the budget: 507 and nothing changes; an idle canvas makes room, least recently used first', () => {
  const { s, clock } = store({ maxTotalBytes: 2 * MiB, credentialBytes: 4 * MiB })
  for (let i = 0; i < 7; i++) rendered(s.render(`live-${i}`, 'text', blob, `device:${i}`))
  const before = { bytes: s.bytes, list: s.list(), h: s.history('live-0') }
  const full = s.render('one-more', 'text', blob, 'device:x')
  assert.ok(isStoreRefusal(full))
  assert.equal(full.status, 507)
  assert.equal(full.code, 'canvas_storage_full')
  assert.deepEqual({ bytes: s.bytes, list: s.list(), h: s.history('live-0') }, before, 'a refused render changed the store')

  clock.now += 30_000
  rendered(s.render('live-1', 'text', 'touched later', 'device:1'))
  const unwatch = s.subscribe('live-2', { deliver() {} })
  clock.now += 40_000
  // live-0 and live-3.. are idle (70 s), live-1 was rendered 40 s ago, live-2 is watched
  rendered(s.render('one-more', 'text', blob, 'device:x'))
  assert.equal(s.snapshot('live-0'), null, 'the least recently used idle canvas went first')
  assert.ok(s.snapshot('live-1') && s.snapshot('live-2'), 'recent and watched canvases stay')
  assert.equal(s.evicted, 1)
  unwatch()
  assert.equal(s.sweep(), 4, 'the timer sweep takes every idle canvas (live-3..6)')
})

test('slots: the 101st canvas evicts an idle one, or is refused with 429 when all are live; per-credential canvases are capped', () => {
  const { s, clock } = store({ maxCanvases: 3, credentialCanvases: 2 })
  rendered(s.render('a1', 'text', 'x', 'device:a'))
  rendered(s.render('a2', 'text', 'x', 'device:a'))
  const mine = s.render('a3', 'text', 'x', 'device:a')
  assert.ok(isStoreRefusal(mine) && mine.status === 429 && mine.code === 'canvas_quota_exceeded')
  rendered(s.render('a1', 'text', 'an existing canvas is not new', 'device:a'))
  rendered(s.render('b1', 'text', 'x', 'device:b'))
  const full = s.render('c1', 'text', 'x', 'device:c')
  assert.ok(isStoreRefusal(full) && full.status === 429 && full.code === 'too_many_canvases')
  clock.now += 61_000
  rendered(s.render('c1', 'text', 'x', 'device:c'))
  assert.equal(s.size, 3)
  s.clear('a1')
  rendered(s.render('a3', 'text', "a cleared canvas frees its creator's quota", 'device:a'))
})

test('viewers take no slot; a clear reaches them and they keep watching', () => {
  const { s } = store({ maxCanvases: 1 })
  const got: Frame[] = []
  const off = s.subscribe('watched', { deliver: (f) => got.push(f) })
  assert.equal(s.size, 0)
  assert.deepEqual(s.list(), ['watched'])
  rendered(s.render('other', 'text', 'the only slot', 'loopback'))
  s.clear('other')
  const f = rendered(s.render('watched', 'text', 'hello', 'loopback'))
  s.clear('watched')
  assert.deepEqual(
    got.map((g) => g.content_type),
    ['text', 'clear'],
  )
  assert.equal(got[0].frame_id, f.frame_id)
  off()
  assert.deepEqual(s.list(), [])
})
