/** The one error shape: `{ error, code }` (+ `retry_after` and a `Retry-After` header on 429/503). */
import type { FastifyReply } from 'fastify'

export interface ErrorBody {
  error: string
  code: string
  retry_after?: number
  [k: string]: unknown
}

export function errorBody(code: string, error: string, extra: Record<string, unknown> = {}): ErrorBody {
  return { error, code, ...extra }
}

export function sendError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  opts: { retryAfter?: number; extra?: Record<string, unknown>; headers?: Record<string, string> } = {},
): FastifyReply {
  const body = errorBody(code, message, opts.extra)
  if (opts.retryAfter !== undefined) {
    const secs = Math.max(1, Math.ceil(opts.retryAfter))
    body.retry_after = secs
    reply.header('retry-after', String(secs))
  }
  for (const [k, v] of Object.entries(opts.headers ?? {})) reply.header(k, v)
  return reply.code(status).type('application/json; charset=utf-8').send(body)
}
