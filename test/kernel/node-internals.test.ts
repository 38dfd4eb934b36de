/**
 * kernel/http/node-internals.ts relies on four undocumented members of Node's HTTP server. Each
 * test here checks, on a real server and a real socket, that the member still exists and that
 * Node still uses it the way the kernel relies on. When one fails after a Node upgrade, the
 * 413/408 paths (lingering close, no read-ahead, no dump, client errors mid-response) need a new
 * way in — the failing test names which.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { once } from 'node:events'
import { inFlightResponse, keepBodyUnread, replaceDestroySoon, stopBodyReads } from '../../kernel/http/node-internals.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void

async function withServer(handler: Handler, fn: (port: number) => Promise<void>): Promise<void> {
  const server = http.createServer(handler)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  try {
    await fn((server.address() as AddressInfo).port)
  } finally {
    server.closeAllConnections()
    server.close()
  }
}

/** a raw client: sends `head` and then `body` bytes as fast as the socket takes them; resolves with what came back once the server closed */
function exchange(port: number, head: string, body = Buffer.alloc(0)): Promise<{ text: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    let text = ''
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => {
      text += d
    })
    socket.on('error', (e: NodeJS.ErrnoException) => resolve({ text, error: e.code }))
    socket.on('close', () => resolve({ text }))
    socket.write(head)
    if (body.length) socket.write(body)
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Cut a request's body the way body.ts does: once 1 MiB has arrived, stop listening, pause the
 * request and its socket, and read() once more (what a pipe does). Resolves with how many more
 * bytes the socket read in the 300 ms after the cut. Not at the first chunk: the socket's own
 * first resume() is still scheduled then, and would undo the pause for a reason of its own.
 */
async function readAfterCut(stop: boolean): Promise<number> {
  let more = -1
  await withServer(
    (req, res) => {
      let got = 0
      const onData = (chunk: Buffer) => {
        got += chunk.length
        if (got < 1024 * 1024) return
        req.off('data', onData)
        if (stop) stopBodyReads(req)
        req.pause()
        req.socket.pause()
        const atCut = req.socket.bytesRead
        req.read()
        setTimeout(() => {
          more = req.socket.bytesRead - atCut
          res.setHeader('connection', 'close')
          res.end('cut')
        }, 300)
      }
      req.on('data', onData)
    },
    async (port) => {
      const size = 8 * 1024 * 1024
      await exchange(port, `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`, Buffer.alloc(size, 0x61))
    },
  )
  return more
}

test('IncomingMessage#_read exists, resumes a paused socket, and replacing it keeps the socket paused', async () => {
  assert.equal(typeof (http.IncomingMessage.prototype as any)._read, 'function', 'IncomingMessage no longer has _read')
  assert.ok((await readAfterCut(false)) > 0, 'a paused request no longer resumes its socket through _read: stopBodyReads is no longer needed')
  const more = await readAfterCut(true)
  assert.equal(more, 0, `the socket read ${more} more bytes after the cut although _read was replaced`)
})

test('IncomingMessage#_dump exists, and Node calls it for an unread body once the response is finished', async () => {
  assert.equal(typeof (http.IncomingMessage.prototype as any)._dump, 'function', 'IncomingMessage no longer has _dump')
  let dumped = 0
  let kept = 0
  await withServer(
    (req, res) => {
      if (req.url === '/kept') {
        keepBodyUnread(req)
        kept = 1
      } else {
        const original = (req as any)._dump
        ;(req as any)._dump = function (this: IncomingMessage) {
          dumped++
          return original.call(this)
        }
      }
      res.setHeader('connection', 'close')
      res.end('refused')
    },
    async (port) => {
      await exchange(port, 'POST /dumped HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n', Buffer.alloc(1000))
      // with _dump replaced, nothing is thrown and the response still arrives
      const r = await exchange(port, 'POST /kept HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n', Buffer.alloc(1000))
      assert.match(r.text, /^HTTP\/1\.1 200/)
      assert.match(r.text, /refused$/)
    },
  )
  assert.equal(dumped, 1, 'Node did not call req._dump() for an unread body: keepBodyUnread is no longer needed, or no longer works')
  assert.equal(kept, 1)
})

test('net.Socket#destroySoon exists, and Node calls it after a Connection: close response', async () => {
  assert.equal(typeof (net.Socket.prototype as any).destroySoon, 'function', 'net.Socket no longer has destroySoon')
  let called = 0
  await withServer(
    (req, res) => {
      replaceDestroySoon(req.socket, () => {
        called++
        // the lingering close in miniature: FIN now, destroy a moment later
        req.socket.end()
        setTimeout(() => req.socket.destroy(), 50)
      })
      res.setHeader('connection', 'close')
      res.end('bye')
    },
    async (port) => {
      const r = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
      assert.match(r.text, /bye$/)
    },
  )
  assert.equal(called, 1, 'Node did not call socket.destroySoon() after a Connection: close response: the lingering close would not run')
})

test('socket._httpMessage names the response being written, and a finished one no longer counts as in flight', async () => {
  let during: ServerResponse | undefined
  let self: ServerResponse | undefined
  let after: ServerResponse | undefined | 'unset' = 'unset'
  await withServer(
    (req, res) => {
      self = res
      during = inFlightResponse(req.socket)
      res.end('ok', () => {
        after = inFlightResponse(req.socket)
      })
    },
    async (port) => {
      const agent = new http.Agent({ keepAlive: true })
      await new Promise<void>((resolve, reject) => {
        http
          .get({ port, host: '127.0.0.1', agent }, (r) => {
            r.resume()
            r.on('end', () => resolve())
          })
          .on('error', reject)
      })
      await sleep(20)
      agent.destroy()
    },
  )
  assert.ok(self)
  assert.equal(during, self, 'socket._httpMessage is not the response in flight')
  // Node 20 has detached it when end()'s callback runs, Node 24 not yet: client-error.ts treats a
  // response as in flight only while it is not writableFinished, which holds for both
  const finished = after as ServerResponse | undefined | 'unset' // set in the callback above
  assert.ok(
    finished === undefined || (finished !== 'unset' && finished.writableFinished),
    'socket._httpMessage names a response that is still being written after it finished',
  )
})
