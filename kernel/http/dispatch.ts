/**
 * From Fastify's request to the plugin's handler and back: the RevkaRequest a handler sees, the
 * narrow reply access it gets, and turning its return value into a response.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { isReply, type AuthContext, type RawReplyAccess, type RevkaRequest } from '@revka/plugin-sdk'
import type { ClientIdentity } from '../auth/client.js'
import type { RouteRecord } from './route-table.js'

declare module 'fastify' {
  interface FastifyRequest {
    revkaAuth?: AuthContext
    revkaId?: ClientIdentity
    revkaTimer?: NodeJS.Timeout
    revkaAbort?: AbortController
    revkaStart?: number
  }
}

export function abortSignal(request: FastifyRequest): AbortSignal {
  if (!request.revkaAbort) {
    const ac = new AbortController()
    request.revkaAbort = ac
    request.raw.once('close', () => {
      if (!request.raw.complete || !request.raw.socket?.writable) ac.abort(new Error('client went away'))
    })
  }
  return request.revkaAbort.signal
}

export function toRevkaRequest(request: FastifyRequest, rec: RouteRecord): RevkaRequest<any> {
  const id = request.revkaId!
  return {
    method: request.method,
    url: request.url,
    route: rec.url,
    params: (request.params ?? {}) as Record<string, string>,
    query: (request.query ?? {}) as Record<string, string | undefined>,
    headers: request.headers,
    body: rec.decl.stream ? undefined : request.body,
    rawBody: request.revkaRaw,
    stream: rec.decl.stream ? (request.body as any) : undefined,
    auth: request.revkaAuth ?? { via: 'public' },
    clientKey: id.key,
    isLoopback: id.isLoopback,
    get signal() { return abortSignal(request) },
  }
}

export function replyAccess(reply: FastifyReply, onHijack: () => void): RawReplyAccess {
  return {
    header(name, value) { reply.header(name, value) },
    status(code) { reply.code(code) },
    raw: reply.raw,
    hijack() {
      reply.hijack()
      onHijack()
    },
  }
}

/** Send what a handler returned. */
export function sendResult(reply: FastifyReply, result: unknown): FastifyReply | void {
  if (reply.sent) return
  if (isReply(result)) {
    if (result.status) reply.code(result.status)
    for (const [k, v] of Object.entries(result.headers ?? {})) reply.header(k, v)
    return sendBody(reply, result.body)
  }
  return sendBody(reply, result)
}

function sendBody(reply: FastifyReply, body: unknown): FastifyReply {
  if (body === undefined) return reply.statusCode === 200 ? reply.code(204).send() : reply.send()
  if (typeof body === 'string') {
    if (!reply.hasHeader('content-type')) reply.type('text/plain; charset=utf-8')
    return reply.send(body)
  }
  if (Buffer.isBuffer(body) || (typeof body === 'object' && body !== null && typeof (body as any).pipe === 'function')) {
    if (!reply.hasHeader('content-type')) reply.type('application/octet-stream')
    return reply.send(body)
  }
  if (!reply.hasHeader('content-type')) reply.type('application/json; charset=utf-8')
  return reply.send(JSON.stringify(body))
}
