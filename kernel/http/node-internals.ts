/**
 * The one place the kernel relies on Node's HTTP internals: what its public API cannot do. Each
 * function says which undocumented member it touches and why no public one does the job.
 * test/kernel/node-internals.test.ts checks, over real sockets, that every member still exists and
 * behaves as relied upon here, so a Node upgrade that changes one fails there by name instead of
 * quietly breaking the 413/408 paths (limits.body, limits.timeout, parser.hardening tests).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/**
 * Never read more of this request's body. `IncomingMessage#_read` resumes the socket whenever the
 * stream wants more (a paused Readable still reads ahead up to its high-water mark), and nothing
 * public stops it: `pause()` on either stream is undone by the next `_read`, `unpipe()` does not
 * touch the socket, and `destroy()` resets the connection so the client loses the 413 we owe it.
 * Replacing `_read` with a no-op on this one request keeps its socket paused for good.
 */
export function stopBodyReads(req: IncomingMessage): void {
  ;(req as unknown as { _read: (n: number) => void })._read = () => {}
}

/**
 * Keep Node from "dumping" (reading and discarding) this request's unread body once the response
 * is finished: `resOnFinish` in Node's HTTP server calls `req._dump()` for a body nobody read,
 * which resumes the socket and reads everything the client still sends. There is no option for
 * it; a body we refused must stay in the client's send buffer, not pass through our memory.
 */
export function keepBodyUnread(req: IncomingMessage): void {
  ;(req as unknown as { _dump: () => void })._dump = () => {}
}

/**
 * Replace how Node closes this socket after a `Connection: close` response. Node's HTTP server
 * calls `socket.destroySoon()` (undocumented): FIN, then destroy as soon as the FIN is flushed.
 * Closing a socket with unread bytes makes the OS send RST, and many clients then drop the
 * response they had not read yet. Listening to the response's 'finish' ourselves cannot prevent
 * Node's own call, which comes in the same tick; overriding it on this socket can.
 */
export function replaceDestroySoon(socket: Socket, close: () => void): void {
  ;(socket as unknown as { destroySoon: () => void }).destroySoon = close
}

/**
 * The response currently being written on this socket, if any (`socket._httpMessage`, set by
 * Node when a response is assigned to the socket and cleared when it is detached). A client error
 * (junk after a `Connection: close` request, a body longer than its Content-Length) arrives on a
 * socket whose earlier response may still be streaming; the 'clientError' event gives only the
 * socket. Tracking responses ourselves from the 'request' event would name the newest one, not
 * the one on the wire when requests are pipelined.
 */
export function inFlightResponse(socket: Socket): ServerResponse | undefined {
  return (socket as unknown as { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined
}
