/**
 * From Fastify's request to the plugin's handler and back: the RevkaRequest a handler sees, the
 * narrow reply access it gets, and turning its return value into a response.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { isFileReply, isReply, type AuthContext, type RawReplyAccess, type RevkaRequest } from '@revka/plugin-sdk'
import type { ClientIdentity } from '../auth/client.js'
import type { RouteRecord } from './route-table.js'
import { sendFileReply } from './file-reply.js'

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

/**
 * The request a handler sees. A class with prototype getters: one small allocation per request
 * instead of an object literal with closures (this is the hot path).
 */
class RequestView implements RevkaRequest<any> {
  constructor(
    private readonly r: FastifyRequest,
    private readonly rec: RouteRecord,
  ) {}
  get method() {
    return this.r.method
  }
  get url() {
    return this.r.url
  }
  get route() {
    return this.rec.url
  }
  get params() {
    return (this.r.params ?? {}) as Record<string, string>
  }
  get query() {
    return (this.r.query ?? {}) as Record<string, string | undefined>
  }
  get headers() {
    return this.r.headers
  }
  get body() {
    return this.rec.decl.stream ? undefined : this.r.body
  }
  get rawBody() {
    return this.r.revkaRaw
  }
  get stream() {
    return this.rec.decl.stream ? (this.r.body as any) : undefined
  }
  get auth() {
    return this.r.revkaAuth ?? PUBLIC
  }
  get clientKey() {
    return this.r.revkaId!.key
  }
  get isLoopback() {
    return this.r.revkaId!.isLoopback
  }
  get signal() {
    return abortSignal(this.r)
  }
}

const PUBLIC: AuthContext = Object.freeze({ via: 'public' })

export function toRevkaRequest(request: FastifyRequest, rec: RouteRecord): RevkaRequest<any> {
  return new RequestView(request, rec)
}

/** The narrow reply access a handler gets; `hijack` hands the raw response to the plugin. */
export class ReplyView implements RawReplyAccess {
  hijacked = false
  constructor(
    readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
    private readonly onHijack: (view: ReplyView) => void,
  ) {}
  header(name: string, value: string) {
    this.reply.header(name, value)
  }
  status(code: number) {
    this.reply.code(code)
  }
  get raw() {
    return this.reply.raw
  }
  hijack() {
    if (this.hijacked) return
    this.hijacked = true
    this.reply.hijack()
    this.onHijack(this)
  }
}

/** Send what a handler returned. */
export function sendResult(reply: FastifyReply, result: unknown): FastifyReply | void | Promise<FastifyReply> {
  if (reply.sent) return
  if (isFileReply(result)) return sendFileReply(reply, result)
  if (isReply(result)) {
    if (result.status) reply.code(result.status)
    const headers = result.headers
    // for…in, not Object.entries: no array of pairs per answer on the hot path
    if (headers) for (const k in headers) reply.header(k, headers[k])
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
  if (Buffer.isBuffer(body)) {
    if (!reply.hasHeader('content-type')) reply.type('application/octet-stream')
    return reply.send(body)
  }
  if (typeof body === 'object' && body !== null && typeof (body as any).pipe === 'function') {
    if (!reply.hasHeader('content-type')) reply.type('application/octet-stream')
    return reply.send(body)
  }
  if (!reply.hasHeader('content-type')) reply.type('application/json; charset=utf-8')
  return reply.send(JSON.stringify(body))
}
