/**
 * The gateway's same-origin face of the MCP server (contract §1.14, all bearer). Every route reaches
 * the in-process server over loopback HTTP, exactly as an external client would, so what the proxy
 * serves is what the server serves.
 */
import type { ConnectionCap, PluginApi, RawReplyAccess, RevkaRequest } from '@revka/plugin-sdk'
import { reply } from '@revka/plugin-sdk'
import { forward, pipeTo, readJson } from './forward.js'
import { mcpCredentials, presentedCredentials, upstreamHeaders, type McpCredentials } from './credentials.js'

export interface UpstreamAccess {
  /** base URL of the bound server; throws 503 `mcp_unavailable` when it is not bound */
  base(): string
  /** the secret `POST /session` requires (held in memory only) */
  secret(): string
  /** the gateway's own MCP session (for callers that present none) */
  gatewaySession(): McpCredentials
  /** open streams per credential and overall (`/api/mcp/stream` and session events together) */
  streams: ConnectionCap
}

/** JSON-RPC bodies can carry large tool arguments */
const MCP_BODY_LIMIT = 1024 * 1024
const SESSION_ID = '^[A-Za-z0-9_-]{1,128}$'

/**
 * Count this exchange against the caller's streams until its response closes: refused (429, or
 * 503 over the overall cap) before anything is forwarded, so a token cannot hold an unbounded
 * number of gateway sockets and upstream connections open.
 */
function holdStream(cap: ConnectionCap, req: RevkaRequest<any>, r: RawReplyAccess): void {
  const release = cap.acquire(req)
  r.raw.once('close', release)
  // the client left before the handler ran: 'close' has been emitted already
  if (r.raw.destroyed) release()
}

export function addProxyRoutes(api: PluginApi<any>, up: UpstreamAccess): void {
  api.routes.add({
    method: 'GET',
    url: '/api/mcp/health',
    auth: 'bearer',
    timeoutMs: 6_000,
    description: "the MCP server's /health (5 s); 502 mcp_upstream_error when it fails",
    handler: async (req) => {
      const res = await forward(up.base(), { method: 'GET', path: '/health', timeoutMs: 5_000, signal: req.signal })
      const body = await readJson(res)
      if (res.statusCode !== 200)
        return reply({ status: 502, body: { error: `mcp upstream error: /health answered ${res.statusCode}`, code: 'mcp_upstream_error', upstream: body } })
      return body
    },
  })

  api.routes.add({
    method: 'POST',
    url: '/api/mcp/session',
    auth: 'bearer',
    timeoutMs: 11_000,
    description: 'mint an MCP session {session_id, token, cwd}; body {cwd?}',
    handler: async (req) => {
      const body = req.rawBody?.length ? req.rawBody : Buffer.from('{}')
      const res = await forward(up.base(), {
        method: 'POST',
        path: '/session',
        timeoutMs: 10_000,
        signal: req.signal,
        body,
        headers: { 'content-type': 'application/json', 'x-revka-mcp-secret': up.secret() },
      })
      return reply({ status: res.statusCode, headers: { 'cache-control': 'no-store' }, body: await readJson(res) })
    },
  })

  const mcpExchange =
    (timeoutMs: number | null, counted = false) =>
    async (req: RevkaRequest<unknown>, r: RawReplyAccess) => {
      // a DELETE ends a session and is answered at once: never refused for the streams it ends
      if (counted && req.method !== 'DELETE') holdStream(up.streams, req, r)
      const creds = mcpCredentials(req, up.gatewaySession)
      const headers = upstreamHeaders(req, creds)
      const body = req.method === 'POST' ? (req.rawBody ?? Buffer.alloc(0)) : undefined
      if (body) headers['content-type'] ??= 'application/json'
      const res = await forward(up.base(), { method: req.method, path: '/mcp', headers, body, timeoutMs, signal: req.signal })
      pipeTo(res, r)
    }

  api.routes.add({
    method: 'POST',
    url: '/api/mcp/call',
    auth: 'bearer',
    bodyLimit: MCP_BODY_LIMIT,
    timeoutMs: 120_000,
    description: 'one JSON-RPC exchange with the MCP server (120 s); MCP session in X-Revka-Session + X-Revka-Mcp-Token',
    handler: mcpExchange(120_000),
  })

  api.routes.add({
    method: ['POST', 'GET', 'DELETE'],
    url: '/api/mcp/stream',
    auth: 'bearer',
    bodyLimit: MCP_BODY_LIMIT,
    streaming: true,
    description:
      "the MCP Streamable HTTP endpoint through the gateway, for MCP clients (bearer = device token); open GET/POST exchanges count against the credential's streams (429 too_many_connections)",
    handler: mcpExchange(null, true),
  })

  api.routes.add({
    method: 'GET',
    url: '/api/mcp/session/:session_id/events',
    auth: 'bearer',
    streaming: true,
    schema: { params: { type: 'object', properties: { session_id: { type: 'string', pattern: SESSION_ID } }, required: ['session_id'] } },
    description:
      "SSE passthrough of a session's progress frames {token, progress, total, message, tool, timestamp}; counts against the credential's streams (429 too_many_connections)",
    handler: async (req, r) => {
      holdStream(up.streams, req, r)
      const token = presentedCredentials(req).token
      const res = await forward(up.base(), {
        method: 'GET',
        path: `/session/${encodeURIComponent(req.params.session_id)}/events`,
        timeoutMs: null,
        signal: req.signal,
        headers: { accept: 'text/event-stream', authorization: token ? `Bearer ${token}` : undefined },
      })
      pipeTo(res, r)
    },
  })
}
