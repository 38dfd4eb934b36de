/**
 * The in-process MCP server (contract §7.3): a small node:http server on 127.0.0.1 with
 *   GET  /health                   liveness (no secrets)
 *   POST /session                  mint {session_id, token, cwd} — requires X-Revka-Mcp-Secret
 *   GET  /session/:id/events       SSE progress frames — Bearer <session token>
 *   POST /mcp                      MCP Streamable HTTP — Bearer <session token> + X-Revka-Session
 *
 * Where we differ from the reference: `POST /session` is not open to every local process. It needs
 * a per-process secret that only the gateway holds in memory, so a local process (or a browser
 * page on a DNS-rebound name) cannot mint sessions and call tools; clients mint sessions through
 * the gateway's bearer-authenticated `POST /api/mcp/session`. Requests whose Host is not a loopback
 * name, or whose Origin is cross-site, are refused for the same reason.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { startSse, timingSafeEqualStr, type Logger, type SseStream } from '@revka/plugin-sdk'
import type { CallObserver, ToolSource } from './mcp-handler.js'

// the MCP SDK (~0.5 s, ~50 MB) loads on the first MCP request, not at gateway start: the server
// binds and mcp.json is written at once, and a gateway nobody drives over MCP never pays for it
let handler: Promise<typeof import('./mcp-handler.js')> | undefined
const mcpHandler = () => (handler ??= import('./mcp-handler.js'))
import type { SessionStore } from './sessions.js'
import { resolveCwd } from '../cwd.js'

export const SECRET_HEADER = 'x-revka-mcp-secret'
const MCP_BODY_LIMIT = 4 * 1024 * 1024
const SESSION_BODY_LIMIT = 64 * 1024

export interface UpstreamOptions {
  port: number
  secret: string
  tools: ToolSource
  sessions: SessionStore
  defaultCwd: string
  version: string
  log: Logger
  observer?: CallObserver
  keepAliveMs?: number
}

export interface Upstream {
  /** `http://127.0.0.1:<port>` */
  readonly base: string
  readonly port: number
  close(): Promise<void>
}

class HttpFail extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end()
    return
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers })
  res.end(JSON.stringify(body))
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'])
    if (declared > limit) return reject(new HttpFail(413, 'payload_too_large', `Request body exceeds ${limit} bytes`, { connection: 'close' }))
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > limit) {
        req.pause()
        reject(new HttpFail(413, 'payload_too_large', `Request body exceeds ${limit} bytes`, { connection: 'close' }))
      } else chunks.push(c)
    })
    req.once('end', () => resolve(Buffer.concat(chunks, size)))
    req.once('error', reject)
  })
}

function parseJson(buf: Buffer): unknown {
  if (!buf.length) return undefined
  try {
    return JSON.parse(buf.toString('utf8'))
  } catch {
    throw new HttpFail(400, 'invalid_json', 'Request body is not valid JSON')
  }
}

function bearer(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ''))
  return m?.[1]
}

const LOOPBACK_HOST = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])(?::\d+)?$/i

function originOk(origin: string | undefined): boolean {
  if (!origin) return true
  try {
    return LOOPBACK_HOST.test(new URL(origin).host)
  } catch {
    return false
  }
}

export async function startUpstream(o: UpstreamOptions): Promise<Upstream> {
  const streams = new Set<SseStream>()
  const sockets = new Set<Socket>()
  const unauthorized = () =>
    new HttpFail(
      401,
      'unauthorized',
      'Unauthorized — present Authorization: Bearer <mcp session token> and X-Revka-Session: <session id> (mint one with POST /api/mcp/session)',
      { 'www-authenticate': 'Bearer realm="revka-mcp"' },
    )

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!LOOPBACK_HOST.test(String(req.headers.host ?? '')) || !originOk(req.headers.origin)) {
      throw new HttpFail(403, 'forbidden_host', 'Forbidden — the MCP server answers loopback hosts and same-host origins only')
    }
    const path = (req.url ?? '/').split('?')[0]
    const method = req.method ?? 'GET'
    if (path === '/health' && method === 'GET') {
      let tools: number | null = null
      try {
        tools = (await o.tools.list()).length
      } catch {
        /* health must not depend on every tool tap */
      }
      return sendJson(res, 200, {
        status: 'ok',
        server: 'revka-mcp',
        version: o.version,
        pid: process.pid,
        sessions: o.sessions.size,
        streams: streams.size,
        tools,
      })
    }
    if (path === '/session' && method === 'POST') {
      if (!timingSafeEqualStr(String(req.headers[SECRET_HEADER] ?? ''), o.secret)) {
        throw new HttpFail(401, 'unauthorized', 'Unauthorized — sessions are minted through the gateway (POST /api/mcp/session)')
      }
      const body = parseJson(await readBody(req, SESSION_BODY_LIMIT)) as { cwd?: unknown } | undefined
      const want = body && typeof body === 'object' && typeof body.cwd === 'string' ? body.cwd : undefined
      const cwd = want === undefined ? o.defaultCwd : resolveCwd(want)
      if (!cwd) throw new HttpFail(400, 'invalid_cwd', `cwd is not an existing directory: ${want}`)
      return sendJson(res, 200, o.sessions.mint(cwd))
    }
    const events = /^\/session\/([A-Za-z0-9_-]{1,128})\/events$/.exec(path)
    if (events && method === 'GET') {
      const s = o.sessions.verify(events[1], bearer(req))
      if (!s) throw unauthorized()
      const sse = startSse(
        {
          raw: res,
          hijack() {},
          header: (n, v) => res.setHeader(n, v),
          status: (c) => {
            res.statusCode = c
          },
        },
        { keepAliveMs: o.keepAliveMs },
      )
      streams.add(sse)
      const off = o.sessions.subscribe(s.id, (f) => sse.send(f))
      sse.onClose(() => {
        off()
        streams.delete(sse)
      })
      return
    }
    if (path === '/mcp') {
      const s = o.sessions.verify(String(req.headers['x-revka-session'] ?? ''), bearer(req))
      if (!s) throw unauthorized()
      if (method !== 'POST') {
        // stateless server: no server-initiated stream to GET and no protocol session to DELETE
        return sendJson(
          res,
          405,
          { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this server is stateless; use POST' }, id: null },
          { allow: 'POST' },
        )
      }
      const body = parseJson(await readBody(req, MCP_BODY_LIMIT))
      if (body === undefined) throw new HttpFail(400, 'invalid_json', 'Request body is empty')
      return (await mcpHandler()).handleMcpPost(req, res, body, {
        tools: o.tools,
        sessions: o.sessions,
        session: s,
        version: o.version,
        observer: o.observer,
        log: o.log,
      })
    }
    throw new HttpFail(404, 'not_found', `No route for ${method} ${path}`)
  }

  const server: Server = createServer({ requestTimeout: 0, headersTimeout: 10_000 }, (req, res) => {
    route(req, res).catch((e) => {
      if (e instanceof HttpFail) return sendJson(res, e.status, { error: e.message, code: e.code }, e.headers)
      o.log.error({ err: (e as Error)?.message, url: req.url }, 'MCP server request failed')
      sendJson(res, 500, { error: 'MCP server error', code: 'internal_error' })
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(o.port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  server.on('error', (e) => o.log.error({ err: e.message }, 'MCP server error'))
  const port = (server.address() as AddressInfo).port
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    async close() {
      for (const s of streams) s.close()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      // in-flight tool calls end with their sockets; nothing waits on a client that never reads
      for (const s of sockets) s.destroy()
      await closed
    },
  }
}
