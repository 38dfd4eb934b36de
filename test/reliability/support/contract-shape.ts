/**
 * The contract's one error shape (GATEWAY.md, "deliberately differ" §9): every error response is
 * JSON `{"error": "<human message>", "code": "<snake_case>"}`, plus `retry_after` (whole seconds)
 * where relevant, and a 429 or 503 also carries a `Retry-After` header.
 */

export const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/

export interface ReplyView {
  status: number
  headers: Record<string, string | string[] | number | undefined>
  body: string
  method: string
}

/** Why this reply breaks the error contract, or null when it keeps it (or is not an error). */
export function errorShapeViolation(r: ReplyView): string | null {
  if (r.status < 400) return null
  const h = (k: string) => {
    const v = r.headers[k]
    return Array.isArray(v) ? v.join(', ') : v === undefined ? undefined : String(v)
  }
  if ((r.status === 429 || r.status === 503) && !h('retry-after')) return `${r.status} without a Retry-After header`
  // a HEAD reply has the headers of the GET it stands for, and no body to check
  if (r.method === 'HEAD') return null
  const type = h('content-type') ?? ''
  if (!/^application\/json\b/i.test(type)) return `content-type is "${type}", not application/json`
  let body: any
  try {
    body = JSON.parse(r.body)
  } catch {
    return `body is not JSON: ${JSON.stringify(r.body.slice(0, 120))}`
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'body is not a JSON object'
  // a proxied JSON-RPC exchange (the MCP routes) answers in JSON-RPC's own error envelope, which
  // JSON-RPC clients need; it is the protocol's reply, not a gateway error
  if (isJsonRpcError(body)) return null
  if (typeof body.error !== 'string' || !body.error) return `"error" is not a non-empty string (${JSON.stringify(body.error)?.slice(0, 80)})`
  if (typeof body.code !== 'string' || !SNAKE_CASE.test(body.code)) return `"code" is not snake_case (${JSON.stringify(body.code)?.slice(0, 80)})`
  if (body.retry_after !== undefined && !(Number.isInteger(body.retry_after) && body.retry_after > 0))
    return `"retry_after" is not a positive whole number (${JSON.stringify(body.retry_after)})`
  return null
}

function isJsonRpcError(body: any): boolean {
  return (
    body.jsonrpc === '2.0' &&
    typeof body.error === 'object' &&
    body.error !== null &&
    Number.isInteger(body.error.code) &&
    typeof body.error.message === 'string'
  )
}
