/**
 * Lingering close for refused uploads. After a 413 the client is usually still sending; closing a
 * socket with unread bytes makes the kernel send RST, and many clients then lose the 413 itself.
 * So once the response is out we half-close (FIN), keep not reading, and destroy a moment later:
 * the client reads its 413, and the server still reads nothing more of the body.
 */
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Readable } from 'node:stream'
import { keepBodyUnread, replaceDestroySoon, stopBodyReads } from './node-internals.js'

export const LINGER_MS = 1000

/**
 * Stop reading a request's body for good, from the chunk that passed its limit on. Pausing the
 * request is not enough: a paused Readable still reads ahead up to its high-water mark, and
 * IncomingMessage's `_read` resumes the socket to do so, so one more 64 KiB read (or part of one)
 * landed after every cut (P8: 157 KiB read for a 64 KiB route). The socket is paused and the
 * request can no longer resume it (node-internals.ts); the connection is closed after the 413.
 */
export function stopReading(req: Readable): void {
  req.pause()
  const socket = (req as Partial<IncomingMessage>).socket as Socket | null | undefined
  // injected requests (light-my-request) and other streams have no socket of their own
  if (!socket || typeof socket.pause !== 'function') return
  stopBodyReads(req as IncomingMessage)
  socket.pause()
}

export function lingerOnClose(req: IncomingMessage, ms = LINGER_MS): void {
  const socket = req.socket as Socket | null
  // injected requests (light-my-request) have no real socket to linger on
  if (!socket || typeof socket.pause !== 'function' || (socket as any).revkaLinger) return
  // Node "dumps" (reads and discards) an unread body once the response is finished; we want the
  // opposite: never read it
  keepBodyUnread(req)
  ;(socket as any).revkaLinger = true
  // stop reading now: the rest of the body stays in the client's send buffer, not our memory
  stopReading(req)
  // how Node closes the socket after the `Connection: close` response: FIN, wait, then destroy
  replaceDestroySoon(socket, () => {
    socket.pause()
    socket.end()
    // ref'd on purpose: a process waiting on this client must see the socket close
    setTimeout(() => socket.destroy(), ms)
  })
}
