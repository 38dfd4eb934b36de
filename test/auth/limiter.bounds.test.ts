/**
 * The brute-force limiters and the webhook delivery journal keep per-key state in bounded maps
 * (lru-cache). These tests hit each bound: past maxKeys the least recently touched key is the one
 * forgotten, the others keep their state, and the size never grows beyond the bound.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FailureLimiter, WindowLimiter } from '../../kernel/auth/limiter.js'
import { DeliveryJournal } from '../../plugin-sdk/src/webhook/journal.js'

test('FailureLimiter holds at most maxKeys clients and forgets the least recently used one', () => {
  let now = 0
  const f = new FailureLimiter(2, 60_000, 30_000, () => now, 3)
  assert.equal(f.fail('a'), 0)
  assert.equal(f.fail('a'), 30, 'second failure locks a out')
  f.fail('b')
  f.fail('c')
  assert.equal(f.lockedFor('a'), 30, 'reading a makes it the most recently used')
  f.fail('d') // b is now the least recently used
  assert.equal(f.size, 3)
  assert.equal(f.remaining('b'), 2, 'b was forgotten: a fresh budget')
  assert.equal(f.lockedFor('a'), 30, 'a is still locked out')
  now = 30_000
  assert.equal(f.lockedFor('a'), 0, 'the lockout ends on the clock')
})

test('WindowLimiter holds at most maxKeys clients and forgets the least recently used one', () => {
  const now = 0
  const w = new WindowLimiter(() => now, 2)
  assert.equal(w.take('a', 1), 0)
  assert.equal(w.take('a', 1), 60, 'a is over its one request a minute')
  assert.equal(w.take('b', 1), 0)
  assert.equal(w.take('a', 1), 60, 'a refused again, and touched')
  assert.equal(w.take('c', 1), 0) // evicts b, the least recently used
  assert.equal(w.take('a', 1), 60, 'a kept its window')
  assert.equal(w.take('b', 1), 0, 'b was forgotten and starts over')
})

const dir = mkdtempSync(join(tmpdir(), 'revka-journal-bounds-'))
after(() => rmSync(dir, { recursive: true, force: true }))

test('the delivery journal keeps at most maxKeys idempotency keys, oldest dropped, across a restart', () => {
  let j = new DeliveryJournal(dir, 60_000, 2, 1_000)
  for (const [i, key] of ['k1', 'k2', 'k3'].entries()) {
    j.enqueue({ id: `d${i}`, key, at: 1_000 + i, attempts: 0, message: null })
    j.finish(`d${i}`, true)
  }
  assert.equal(j.seen('k1', 2_000), false, 'the oldest key was dropped')
  assert.equal(j.seen('k2', 2_000), true)
  assert.equal(j.seen('k3', 2_000), true)
  j.close()
  // reopening replays and compacts: the surviving keys come back, still inside the bound
  j = new DeliveryJournal(dir, 60_000, 2, 2_000)
  assert.deepEqual(
    ['k1', 'k2', 'k3'].map((k) => j.seen(k, 2_000)),
    [false, true, true],
  )
  j.enqueue({ id: 'd4', key: 'k4', at: 2_000, attempts: 0, message: null })
  assert.deepEqual(
    ['k2', 'k3', 'k4'].map((k) => j.seen(k, 2_000)),
    [false, true, true],
    'k2 was the oldest after the replay',
  )
  j.close()
})

test('FailureLimiter.lock (a lockout mirrored from another node) refuses the key until it ends and never shortens a longer one', () => {
  let now = 0
  const f = new FailureLimiter(10, 60_000, 300_000, () => now, 3)
  f.fail('a')
  f.lock('a', 20_000)
  assert.equal(f.lockedFor('a'), 20)
  assert.equal(f.succeed('a'), false, 'a success during the lockout clears nothing')
  f.lock('a', 5_000)
  assert.equal(f.lockedFor('a'), 20, 'the longer lockout stays')
  now = 20_000
  assert.equal(f.lockedFor('a'), 0)
  assert.equal(f.remaining('a'), 10, 'the failures before it were part of the lockout')
  assert.equal(f.succeed('a'), true, 'the ended lockout is cleared by a success')
  assert.equal(f.succeed('a'), false, 'nothing left to clear')
})
