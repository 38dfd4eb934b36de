/**
 * The admin listener: `[gateway] admin_socket = "<path>"` opens a unix socket beside the TCP port
 * that serves only the routes with a `loopback` surface, and where every request is local whatever
 * its headers. For operators behind a reverse proxy: on TCP, a same-host proxy's requests come from
 * 127.0.0.1 and only the forwarding headers tell them apart; a unix socket's peer is on this
 * machine by construction, and the file modes say which user.
 *
 * - the socket is created mode 0600 in a folder that only this user can enter (created 0700; an
 *   existing one that the group or others can enter is refused), so there is no moment at which
 *   another user could connect;
 * - a stale socket file (no one answers on it) is removed at start; a live one means another
 *   gateway owns it, and anything that is not a socket is never removed;
 * - the file is removed on stop.
 *
 * Requests are handed to the same entry as the TCP port's (`routing`: the kernel's, which also
 * reaches the routes of plugins enabled at runtime), so they pass the same root hooks:
 * the header checks, the gatekeeper (which refuses non-loopback routes here), the guard.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { connect, type Socket } from 'node:net'
import { chmodSync, existsSync, lstatSync, mkdirSync, statSync, unlinkSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { RevkaError } from '@revka/plugin-sdk'
import { ADMIN_SOCKET } from '../auth/client.js'
import { clientErrorHandler } from './client-error.js'
import { MAX_HEADERS } from './request-checks.js'

/** sun_path is 108 bytes on Linux, including the terminating NUL */
const MAX_SOCKET_PATH = 107

/** The socket's absolute path: relative paths are taken from config.toml's folder. */
export function adminSocketPath(configured: string, configFile: string): string {
  return isAbsolute(configured) ? configured : resolve(dirname(configFile), configured)
}

function fail(message: string): never {
  throw new RevkaError('REVKA_ERR_ADMIN_SOCKET', message)
}

/** The folder must be this user's alone: create it 0700, or refuse one others can enter. */
function privateDir(dir: string, create: boolean): void {
  if (create) mkdirSync(dir, { recursive: true, mode: 0o700 })
  else if (!existsSync(dir)) return // the start creates it 0700
  const st = statSync(dir)
  const uid = process.getuid?.()
  if (uid !== undefined && st.uid !== uid) fail(`admin_socket: ${dir} belongs to another user (uid ${st.uid}); use a folder of your own`)
  if (st.mode & 0o077) fail(`admin_socket: ${dir} is mode ${(st.mode & 0o777).toString(8)}; the folder of the admin socket must be 0700 (chmod 700 ${dir})`)
}

function notASocket(path: string): void {
  let st
  try {
    st = lstatSync(path)
  } catch {
    return
  }
  if (!st.isSocket()) fail(`admin_socket: ${path} exists and is not a socket; refusing to replace it`)
}

/**
 * What the start refuses about the socket's path, without changing anything: too long, a folder
 * others can enter (or another user's), a file there that is not a socket. `PUT /api/config` runs
 * it on a new `admin_socket` (kernel/config/validate-gateway.ts) so that the next start cannot fail
 * on it. A live socket is not checked here: the running gateway's own would be one.
 */
export function assertAdminSocketPath(path: string): void {
  checkPath(path, false)
}

function checkPath(path: string, create: boolean): void {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) fail(`admin_socket: ${path} is longer than ${MAX_SOCKET_PATH} bytes, the limit for a unix socket path`)
  privateDir(dirname(path), create)
  notASocket(path)
}

/** Is someone listening on this socket file? */
function answers(path: string): Promise<boolean> {
  return new Promise((res) => {
    const s: Socket = connect(path)
    s.once('connect', () => {
      s.destroy()
      res(true)
    })
    s.once('error', () => res(false))
  })
}

/** after checkPath: a socket file is either someone's live socket or a stale one to remove */
async function clearStale(path: string): Promise<void> {
  if (!existsSync(path)) return
  if (await answers(path)) fail(`admin_socket: ${path} is in use (is another gateway running with this state dir?)`)
  unlinkSync(path)
}

export interface AdminSocket {
  readonly path: string
  close(): Promise<void>
}

export async function openAdminSocket(
  app: FastifyInstance,
  path: string,
  opts: { timeoutMs: number; log: Logger; routing?: (req: IncomingMessage, res: ServerResponse) => void },
): Promise<AdminSocket> {
  const routing = opts.routing ?? ((req: IncomingMessage, res: ServerResponse) => app.routing(req, res))
  checkPath(path, true)
  await clearStale(path)
  const server: Server = createServer(
    {
      requestTimeout: opts.timeoutMs,
      headersTimeout: opts.timeoutMs,
      connectionsCheckingInterval: 500,
      requireHostHeader: false,
    },
    routing,
  )
  server.maxHeadersCount = MAX_HEADERS
  server.on('clientError', clientErrorHandler(app.revkaClientErrors))
  // the mark lives on the socket, which only this server ever accepts: no header can forge it
  server.on('connection', (socket: Socket) => {
    ;(socket as unknown as Record<symbol, boolean>)[ADMIN_SOCKET] = true
  })
  await new Promise<void>((res, rej) => {
    server.once('error', (e: NodeJS.ErrnoException) => rej(new RevkaError('REVKA_ERR_ADMIN_SOCKET', `admin_socket: cannot listen on ${path}: ${e.message}`)))
    server.listen(path, () => res())
  })
  // the folder is private, so the window before this chmod is closed to other users anyway
  chmodSync(path, 0o600)
  opts.log.info({ path }, 'admin socket listening')
  let closing: Promise<void> | undefined
  return {
    path,
    close() {
      closing ??= new Promise<void>((res) => {
        server.close(() => res())
        server.closeIdleConnections()
        // an admin request still running gets the drain the TCP side gets; then it is cut
        setTimeout(() => server.closeAllConnections(), 2000).unref()
      }).finally(() => {
        try {
          if (lstatSync(path).isSocket()) unlinkSync(path)
        } catch {
          /* already gone */
        }
      })
      return closing
    },
  }
}
