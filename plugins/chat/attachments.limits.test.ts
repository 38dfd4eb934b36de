import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { TestKernel } from '@revka/plugin-testing'
import { createSession, startChatKernel } from './test-support/chat-client.js'
import { upload } from './test-support/upload-client.js'
import { MAX_FILE_BYTES, UPLOAD_BODY_LIMIT } from './attachments/files.js'

let k: TestKernel
before(async () => {
  k = await startChatKernel()
  for (const sid of ['warm', 'big', 'over', 'declared', 'chunked-over']) await createSession(k, sid)
})
after(async () => {
  await k.stop()
})

const MiB = 1024 * 1024
const sessionFiles = (sid: string) => {
  const dir = join(k.stateDir, 'plugins', 'chat', 'attachments', sid)
  return existsSync(dir) ? readdirSync(dir) : []
}

test('the limit is the file: exactly 25 MiB (26 214 400 bytes) is accepted', () => {
  assert.equal(MAX_FILE_BYTES, 26_214_400)
  // the route's body limit only adds room for the multipart framing around that file
  assert.ok(UPLOAD_BODY_LIMIT > MAX_FILE_BYTES && UPLOAD_BODY_LIMIT - MAX_FILE_BYTES <= 64 * 1024)
})

/**
 * V8's `gc`, which scripts/run-tests.js exposes to test processes (`--expose-gc`). Socket reads allocate a fresh buffer per chunk; V8 frees
 * them only at its next collection, so without one the RSS peak measures the collector's schedule
 * (plain Node HTTP alone shows ~15 MiB of such garbage for 25 MiB). Collecting the young generation
 * as the upload runs leaves only what is really retained: a server that buffered the file would
 * still show its full 25 MiB.
 */
function youngGc(): () => void {
  const gc = (globalThis as { gc?: (o?: { type: 'minor' | 'major' }) => void }).gc
  assert.ok(gc, 'run this test through scripts/run-tests.js, which gives test processes --expose-gc')
  return () => gc({ type: 'minor' })
}

test('a 25 MiB file streams to disk with peak RSS growth well under its size', async () => {
  const collect = youngGc()
  // warm the path first so lazy allocations (parsers, fs streams) are not counted
  assert.equal((await upload(k, { sid: 'warm', size: 2 * MiB })).status, 201)
  collect()
  const base = process.memoryUsage.rss()
  let peak = base
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss())
    collect()
  }, 10)
  let res
  try {
    res = await upload(k, { sid: 'big', size: MAX_FILE_BYTES, filename: 'big.bin', mime: 'application/octet-stream' })
  } finally {
    clearInterval(sampler)
  }
  peak = Math.max(peak, process.memoryUsage.rss())
  assert.equal(res.status, 201, JSON.stringify(res.body))
  assert.equal(res.body.size, MAX_FILE_BYTES)
  assert.equal(statSync(join(k.stateDir, 'plugins', 'chat', 'attachments', 'big', res.body.file_id)).size, MAX_FILE_BYTES)
  const growth = peak - base
  assert.ok(growth < 16 * MiB, `peak RSS grew by ${(growth / MiB).toFixed(1)} MiB while receiving 25 MiB`)
})

test('25 MiB + 1 byte gets 413 and leaves no file, temp or otherwise', async () => {
  const res = await upload(k, { sid: 'over', size: MAX_FILE_BYTES + 1, filename: 'over.bin' })
  assert.equal(res.status, 413)
  assert.equal(res.body.code, 'payload_too_large')
  assert.deepEqual(sessionFiles('over'), [])
})

test('a declared body over the route limit is refused before it is read', async () => {
  const res = await upload(k, { sid: 'declared', size: UPLOAD_BODY_LIMIT + 1, filename: 'x.bin' })
  assert.equal(res.status, 413)
  assert.deepEqual(sessionFiles('declared'), [])
})

test('a chunked body over the limit is cut with 413 and leaves nothing', async () => {
  const res = await upload(k, { sid: 'chunked-over', size: MAX_FILE_BYTES + 100 * 1024, chunked: true, filename: 'y.bin' })
  assert.equal(res.status, 413)
  assert.deepEqual(sessionFiles('chunked-over'), [])
})
