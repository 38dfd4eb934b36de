/**
 * Refusals Node makes before there is a request (slow headers, malformed HTTP, huge headers), for
 * every listener the kernel opens (the TCP server and the admin socket), in the one error shape:
 * Fastify's default answers `{error, message, statusCode}` without a `code`. Anyone can cause
 * these, so they are logged at debug level and rate-limited (kernel/log/client-errors.ts).
 */
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { ClientErrorLog } from '../log/client-errors.js'
import { inFlightResponse } from './node-internals.js'

export function clientErrorHandler(clientErrors: ClientErrorLog) {
  return (err: NodeJS.ErrnoException, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return
    // bytes after a request that is already being answered (junk after a `Connection: close`
    // request, a body longer than its Content-Length, while an event stream runs): that response
    // owns the socket. Writing an error into it would corrupt it, and destroying now threw away what
    // it had queued — the client got nothing at all. Let it finish; the connection closes after it.
    const inFlight = inFlightResponse(socket)
    if (inFlight?.headersSent && !inFlight.writableFinished) {
      // the broken parser reports every later chunk again: arrange the close once
      if (!(socket as { revkaDoomed?: boolean }).revkaDoomed) {
        ;(socket as { revkaDoomed?: boolean }).revkaDoomed = true
        inFlight.once('close', () => socket.destroy())
      }
      return
    }
    const [status, code, error] =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'Request timed out']
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'headers_too_large', 'Request headers are too large']
          : [400, 'bad_request', 'Malformed HTTP request']
    clientErrors.note(`${status} ${code}`, { code: err.code, peer: socket.remoteAddress })
    const body = JSON.stringify({ error, code })
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      )
    }
    socket.destroy(err)
  }
}
