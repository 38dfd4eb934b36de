/**
 * Which MCP session a proxied request acts as.
 *
 * The reference made one `Authorization` header serve both the gateway and the MCP session, which
 * only worked with the service token or with pairing off. Here the two travel apart:
 *   - the gateway credential: `Authorization: Bearer <device token>` (or `X-Revka-Service-Token`);
 *   - the MCP session: `X-Revka-Mcp-Token: <session token>` + `X-Revka-Session: <session id>`.
 * For reference clients, `Authorization: Bearer <session token>` is still read as the MCP token
 * when the gateway let the request in some other way (service token, pairing off).
 *
 * On the MCP endpoints (`/api/mcp/call`, `/api/mcp/stream`) the session is optional: without one
 * the request acts as the gateway's own session — the device bearer already proved the caller, and
 * it could mint a session anyway — so an MCP client needs only the gateway URL and its token.
 */
import { httpError, type RevkaRequest } from '@revka/plugin-sdk'

export interface McpCredentials {
  session: string
  token: string
}

function header(req: RevkaRequest<any>, name: string): string | undefined {
  const v = req.headers[name]
  const s = (Array.isArray(v) ? v[0] : v)?.trim()
  return s ? s : undefined
}

export function presentedCredentials(req: RevkaRequest<any>): Partial<McpCredentials> {
  let token = header(req, 'x-revka-mcp-token')
  if (!token && (req.auth.via === 'service' || req.auth.via === 'pairing-off')) {
    token = /^Bearer\s+(\S+)$/i.exec(header(req, 'authorization') ?? '')?.[1]
  }
  return { session: header(req, 'x-revka-session'), token }
}

/** the caller's MCP session, or the gateway's own when the caller named none */
export function mcpCredentials(req: RevkaRequest<any>, gatewaySession: () => McpCredentials): McpCredentials {
  const c = presentedCredentials(req)
  if (c.session && c.token) return { session: c.session, token: c.token }
  if (!c.session && !c.token) return gatewaySession()
  throw httpError(400, 'mcp_credentials_incomplete', 'Send both X-Revka-Session and X-Revka-Mcp-Token, or neither (the gateway then uses its own MCP session)')
}

/** headers a client sends that the MCP transport needs upstream */
export const MCP_REQUEST_HEADERS = ['content-type', 'accept', 'mcp-protocol-version', 'mcp-session-id', 'last-event-id'] as const

export function upstreamHeaders(req: RevkaRequest<any>, c: McpCredentials): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {}
  for (const h of MCP_REQUEST_HEADERS) out[h] = header(req, h)
  // plain JSON-RPC callers of /api/mcp/call rarely know the Streamable HTTP Accept rule (both
  // types, or 406); they read whichever the answer is
  const accept = out.accept ?? ''
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) out.accept = 'application/json, text/event-stream'
  out.authorization = `Bearer ${c.token}`
  out['x-revka-session'] = c.session
  return out
}
