/**
 * Body limits on the wire: 64 KiB by default, exactly; whatever a route declares (up to the
 * ceiling) otherwise. Oversize bodies get 413 payload_too_large before the handler runs, whether
 * announced by Content-Length or streamed chunked with no length at all.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { Socket } from 'node:net'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { cleanupTemp, fixture } from './helpers/kernel.js'
import { chunkedPost, post, rawExchange } from './helpers/wire.js'

after(cleanupTemp)

const KIB64 = 65_536
const MIB = 1_048_576

async function withWire(fn: (k: TestKernel, base: string) => Promise<void>) {
  const k = await startTestKernel({ builtins: false, paths: [fixture('fx-wire')], listen: true })
  try {
    await fn(k, k.url!)
  } finally {
    await k.stop()
  }
}

const stats = async (k: TestKernel) => (await k.inject({ url: '/fx/stats' })).json()

function assertTooLarge(res: Awaited<ReturnType<typeof rawExchange>>, limit: number) {
  assert.equal(res.status, 413, `expected 413, got ${res.status}: ${res.body.slice(0, 200)}`)
  assert.match(res.headers['content-type'] ?? '', /^application\/json/)
  const body = JSON.parse(res.body)
  assert.equal(body.code, 'payload_too_large')
  assert.equal(typeof body.error, 'string')
  assert.ok(body.error.includes(String(limit)), body.error)
}

test('the default limit accepts exactly 65,536 bytes and refuses 65,537 before the handler', async () => {
  await withWire(async (k, base) => {
    const ok = await rawExchange(base, post('/fx/size', Buffer.alloc(KIB64, 0x61)))
    assert.equal(ok.status, 200, ok.body.slice(0, 200))
    assert.deepEqual(JSON.parse(ok.body), { bytes: KIB64 })
    assert.equal((await stats(k)).size, 1)

    const over = await rawExchange(base, post('/fx/size', Buffer.alloc(KIB64 + 1, 0x61)))
    assertTooLarge(over, KIB64)
    assert.equal((await stats(k)).size, 1, 'the handler ran for an oversized body')
  })
})

test('a chunked body with no Content-Length is cut at 64 KiB too', async () => {
  await withWire(async (k, base) => {
    // control: a small chunked body goes through, so the refusal below is about size
    const small = await rawExchange(base, chunkedPost('/fx/size', 10_000))
    assert.equal(small.status, 200, small.body.slice(0, 200))
    assert.deepEqual(JSON.parse(small.body), { bytes: 10_000 })
    assert.equal((await stats(k)).size, 1)

    const big = await rawExchange(base, chunkedPost('/fx/size', KIB64 + 4096))
    assertTooLarge(big, KIB64)
    assert.equal((await stats(k)).size, 1, 'the handler ran for an oversized chunked body')
  })
})

test('a route declaring bodyLimit 1 MiB accepts 1 MiB and refuses 1 MiB + 1', async () => {
  await withWire(async (k, base) => {
    const ok = await rawExchange(base, post('/fx/size-1m', Buffer.alloc(MIB, 0x62)))
    assert.equal(ok.status, 200, ok.body.slice(0, 200))
    assert.deepEqual(JSON.parse(ok.body), { bytes: MIB })

    const over = await rawExchange(base, post('/fx/size-1m', Buffer.alloc(MIB + 1, 0x62)))
    assertTooLarge(over, MIB)
    assert.equal((await stats(k)).size1m, 1, 'the handler ran for an oversized body')
    // the larger limit is this route's alone: the default route still stops at 64 KiB
    assertTooLarge(await rawExchange(base, post('/fx/size', Buffer.alloc(KIB64 + 1))), KIB64)
  })
})

test('an oversized chunked body stops being read at the read that crossed the limit', async () => {
  // the server's own count of bytes taken off the client's socket (Node's request diagnostics)
  const sockets: Socket[] = []
  const onStart = (msg: unknown) => {
    sockets.push((msg as { socket: Socket }).socket)
  }
  subscribe('http.server.request.start', onStart)
  try {
    await withWire(async (k, base) => {
      // 8 MiB in 64 KiB chunks, written without waiting: the client's side is always full
      const steps = chunkedPost('/fx/size', 8 * MIB, KIB64)
      const big = await rawExchange(base, steps)
      assertTooLarge(big, KIB64)
      assert.equal((await stats(k)).size, 0, 'the handler ran for an oversized chunked body')
      const read = sockets[0].bytesRead
      // the head and the body up to the limit (with two chunk frames), then at most the one
      // 64 KiB socket read that crossed the limit; before, a paused request resumed its socket
      // for one more read (and the 413's lingering close kept it going)
      const bound = Buffer.byteLength(String(steps[0])) + KIB64 + 2 * 16 + 65_536
      assert.ok(read <= bound, `the server read ${read} bytes of an 8 MiB body refused at 64 KiB (at most ${bound})`)
    })
  } finally {
    unsubscribe('http.server.request.start', onStart)
  }
})
