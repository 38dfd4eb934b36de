/**
 * Lingering close for refused uploads. After a 413 the client is usually still sending; closing a
 * socket with unread bytes makes the kernel send RST, and many clients then lose the 413 itself.
 * So once the response is out we half-close (FIN), keep not reading, and destroy a moment later:
 * the client reads its 413, and the server still reads nothing more of the body.
 */
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'

export const LINGER_MS = 1000

export function lingerOnClose(req: IncomingMessage, ms = LINGER_MS): void {
  const socket = req.socket as Socket | null
  // injected requests (light-my-request) have no real socket to linger on
  if (!socket || typeof socket.pause !== 'function' || (socket as any).revkaLinger) return
  // Node "dumps" (reads and discards) an unread body once the response is finished; we want the
  // opposite: never read it
  ;(req as any)._dump = () => {}
  ;(socket as any).revkaLinger = true
  // stop reading now: the rest of the body stays in the client's send buffer, not our memory
  socket.pause()
  // Node's HTTP server calls destroySoon() after a `Connection: close` response
  ;(socket as any).destroySoon = () => {
    socket.pause()
    socket.end()
    // ref'd on purpose: a process waiting on this client must see the socket close
    setTimeout(() => socket.destroy(), ms)
  }
}
