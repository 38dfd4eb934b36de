/**
 * The SSE reader every streaming provider goes through (eventsource-parser underneath), fed by a
 * real HTTP server that writes the stream in awkward pieces: split inside a line, inside a CRLF
 * and inside a multi-byte character. What a user would notice if it broke: a lost or doubled
 * chunk of a reply, or the last chunk missing when a server closes without the final blank line.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { once } from 'node:events'
import { sseData } from './sse-reader.js'

/** GET the stream from a server that writes `pieces` one by one, then closes */
async function readPieces(pieces: string[]): Promise<string[]> {
  const server = http.createServer(async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    const bytes = Buffer.concat(pieces.map((p) => Buffer.from(p)))
    // cut every 3 bytes, whatever the text: lines, CRLFs and UTF-8 sequences all get split
    for (let i = 0; i < bytes.length; i += 3) {
      res.write(bytes.subarray(i, i + 3))
      await new Promise((r) => setImmediate(r))
    }
    res.end()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    const out: string[] = []
    for await (const data of sseData(res.body!)) out.push(data)
    return out
  } finally {
    server.closeAllConnections()
    server.close()
  }
}

test('events arrive whole: multi-line data, comments, other fields and CRLF line ends', async () => {
  const got = await readPieces([': keep-alive\n\n', 'data: a\r\ndata: b\r\n\r\n', 'event: delta\nid: 7\ndata:{"x":"héllo ✓"}\n\n', 'data:\n\n'])
  assert.deepEqual(got, ['a\nb', '{"x":"héllo ✓"}', ''])
})

test('a server that closes without the final blank line still delivers its last event', async () => {
  assert.deepEqual(await readPieces(['data: one\n\n', 'data: last']), ['one', 'last'])
  assert.deepEqual(await readPieces(['data: one\n\n', 'data: last\r\n']), ['one', 'last'])
  assert.deepEqual(await readPieces(['data: one\n\n', 'event: x']), ['one'], 'a trailing field without data is no event')
})

test('leaving early stops the download', { timeout: 10_000 }, async () => {
  let ticks = 0
  let closed!: () => void
  const serverSawClose = new Promise<void>((r) => {
    closed = r
  })
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    const timer = setInterval(() => {
      ticks++
      res.write('data: tick\n\n')
    }, 5)
    res.on('close', () => {
      clearInterval(timer)
      closed()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    for await (const data of sseData(res.body!)) {
      assert.equal(data, 'tick')
      break
    }
    // resolves only if the reader cancelled the body: otherwise the test times out
    await serverSawClose
    const sent = ticks
    await new Promise((r) => setTimeout(r, 30))
    assert.equal(ticks, sent, 'the server kept streaming to a consumer that left')
  } finally {
    server.closeAllConnections()
    server.close()
  }
})
