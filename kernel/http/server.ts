/**
 * The Fastify instance and its global layers: the request-head checks (header cap, duplicate Host,
 * canonical path: request-checks.ts), body limit, timeouts (slow headers AND slow bodies),
 * content-type parsers that keep the raw bytes (webhook HMACs need them), the one error shape, and
 * JSON 404s. Plugins never see this object.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import { createRequire } from 'node:module'
import { isHttpError } from '@revka/plugin-sdk'
import type { Logger } from 'pino'
import { BODY_LIMIT_DEFAULT } from './route-table.js'
import type { HttpsSetup } from './tls.js'
import { sendError } from './errors.js'
import { installBodyParser } from './body.js'
import { lingerOnClose } from './linger.js'
import { compileSchema } from '../schema/compile.js'
import { ClientErrorLog } from '../log/client-errors.js'
import { clientErrorHandler } from './client-error.js'
import { encodedWildcardStatic, headerProblem, MAX_HEADERS, pathProblem } from './request-checks.js'
import { routeOf } from './route-policy.js'

declare module 'fastify' {
  interface FastifyRequest {
    revkaRaw?: Buffer
  }
  interface FastifyInstance {
    /** debug-level, rate-limited log of client errors (kernel/log/client-errors.ts) */
    revkaClientErrors: ClientErrorLog
  }
}

export interface ServerOptions {
  timeoutMs: number
  log: Logger
  /** serve HTTPS (kernel/http/tls.ts) */
  https?: HttpsSetup
}

/**
 * A request that arrived through the server's 'upgrade' event is off the HTTP server's books: when
 * it is refused before @fastify/websocket sees it (a malformed URL, no Host), nothing closes its
 * socket, and one such socket kept `close()` — graceful shutdown — waiting forever. End it once
 * the refusal is out (found by test/reliability/fuzz.routes.test.ts).
 */
function releaseUpgrade(request: { raw: import('node:http').IncomingMessage }, reply: { raw: import('node:http').ServerResponse }): void {
  const socket = request.raw.socket
  if (!(request.raw as { upgrade?: boolean }).upgrade || !socket) return
  reply.raw.once('finish', () => {
    socket.end()
    setTimeout(() => socket.destroy(), 1000).unref()
  })
}

/** the request stream failed because the client's side of it broke, not because of our code */
function clientGone(raw: import('node:http').IncomingMessage, err: { code?: string }): boolean {
  return (
    (err.code === 'ECONNRESET' || err.code === 'ECONNABORTED' || (typeof err.code === 'string' && err.code.startsWith('HPE_'))) &&
    (!raw.complete || raw.destroyed)
  )
}

const require = createRequire(import.meta.url)

/**
 * Fastify's default compilers are built in its constructor: @fastify/ajv-compiler and
 * fast-json-stringify, which load Ajv (~85 modules, ~100 ms of every start). Route validation goes
 * through the kernel's compiler anyway, and a serializer is needed only by a route that declares a
 * response schema, so fast-json-stringify is loaded on the first such route, not at start.
 */
const compilersFactory = {
  buildValidator:
    () =>
    ({ schema }: { schema: object }) =>
      compileSchema(schema),
  buildSerializer: (externalSchemas: unknown, serializerOpts: unknown) => {
    let compile: ((route: unknown) => unknown) | undefined
    return (route: unknown) => {
      if (!compile) {
        // fastify's own dependency, resolved from fastify (it is not one of ours)
        const fromFastify = createRequire(require.resolve('fastify'))
        compile = fromFastify('@fastify/fast-json-stringify-compiler')()(externalSchemas, serializerOpts) as (route: unknown) => unknown
      }
      return compile(route)
    }
  },
}

export function createServer(opts: ServerOptions): FastifyInstance {
  const clientErrors = new ClientErrorLog(opts.log)
  const options: Record<string, unknown> = {
    bodyLimit: BODY_LIMIT_DEFAULT,
    requestTimeout: opts.timeoutMs,
    // Node 20 cuts slow bodies only when the server itself has requestTimeout and checks often
    // requireHostHeader off: Node would refuse a Host-less HTTP/1.1 request with an empty 400; the
    // onRequest hook below refuses it in the one error shape instead
    http: { requestTimeout: opts.timeoutMs, headersTimeout: opts.timeoutMs, connectionsCheckingInterval: 500, requireHostHeader: false },
    // https.createServer takes the same server options beside the TLS ones
    ...(opts.https
      ? {
          https: {
            ...opts.https.options,
            requestTimeout: opts.timeoutMs,
            headersTimeout: opts.timeoutMs,
            connectionsCheckingInterval: 500,
            requireHostHeader: false,
          },
        }
      : {}),
    logger: false,
    schemaController: { compilersFactory },
    // the gatekeeper answers requests that arrive while closing, in the contract's error shape
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 1024, ignoreDuplicateSlashes: false },
    clientErrorHandler: clientErrorHandler(clientErrors),
    // the router's own refusals (a malformed %-escape in the path, an over-long parameter) come
    // here instead of Fastify's `{error, code: "FST_ERR_BAD_URL", statusCode}`: the one error shape
    frameworkErrors: (err: any, request: any, reply: any) => {
      releaseUpgrade(request, reply)
      if (err?.code === 'FST_ERR_MAX_PARAM_LENGTH') return sendError(reply, 414, 'uri_too_long', 'A path parameter is too long')
      if (err?.code === 'FST_ERR_BAD_URL') return sendError(reply, 400, 'bad_url', 'Malformed URL: invalid percent-encoding in the path')
      opts.log.error({ err }, 'router failed')
      return sendError(reply, 500, 'internal_error', 'Internal error; see the gateway log')
    },
  }
  const app = Fastify(options) as unknown as FastifyInstance
  app.server.headersTimeout = opts.timeoutMs
  // explicit, because request-checks.ts refuses requests that reach it
  app.server.maxHeadersCount = MAX_HEADERS
  app.decorate('revkaClientErrors', clientErrors)
  const tlsSetup = opts.https
  if (tlsSetup) {
    // mutual TLS is decided on the finished handshake, before any HTTP is parsed
    app.server.on('secureConnection', (socket: import('node:tls').TLSSocket) => {
      if (!tlsSetup.admit(socket)) socket.destroy()
    })
    // failed handshakes (plain HTTP to the TLS port, unknown clients) are the client's problem
    app.server.on('tlsClientError', (err: NodeJS.ErrnoException) => clientErrors.note('TLS handshake failed', { code: err.code }))
  }
  // the first root hook: before auth, before anything reads headers or trusts the routed path
  app.addHook('onRequest', (request, reply, done) => {
    const bad = headerProblem(request.raw) ?? pathProblem(request.raw.url, encodedWildcardStatic(request))
    if (bad) {
      releaseUpgrade(request, reply)
      // a refused request's body is never read: close rather than leave it in the socket
      reply.header('connection', 'close')
      return void sendError(reply, bad.status, bad.code, bad.message)
    }
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      releaseUpgrade(request, reply)
      return void sendError(reply, 400, 'missing_host', 'HTTP/1.1 requests need a Host header')
    }
    done()
  })
  // an `Expect` other than 100-continue: Node's own 417 has an empty body; answer in the one shape
  app.server.on('checkExpectation', (_req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const body = JSON.stringify({ error: 'Unsupported Expect header; only 100-continue is understood', code: 'expectation_failed' })
    res.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' })
    res.end(body)
  })

  installBodyParser(app, routeOf)
  // route schemas go through the kernel's compiler (the build's precompiled Ajv code, Ajv itself only for others):
  // Fastify's default compiles every schema with Ajv at boot
  app.setValidatorCompiler(({ schema }) => compileSchema(schema as object) as any)

  app.setErrorHandler((err: any, request, reply) => {
    if (isHttpError(err)) {
      return sendError(reply, err.statusCode, err.code, err.message, {
        retryAfter: err.options.retryAfter,
        extra: err.options.extra,
        headers: err.options.headers,
      })
    }
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH': {
        const limit = request.routeOptions?.bodyLimit ?? BODY_LIMIT_DEFAULT
        // do not keep reading an oversized body: close the connection after the 413, lingering
        // so the client still receives it
        reply.header('connection', 'close')
        lingerOnClose(request.raw)
        return sendError(reply, 413, 'payload_too_large', `Request body exceeds the ${limit}-byte limit of this route`, { extra: { limit } })
      }
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendError(reply, 415, 'unsupported_media_type', `Unsupported Content-Type: ${request.headers['content-type'] ?? '(none)'}`)
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'REVKA_INVALID_JSON':
        return sendError(reply, 400, 'invalid_json', err.code === 'REVKA_INVALID_JSON' ? err.message : 'Invalid JSON body: empty')
    }
    if (err.validation) return sendError(reply, 400, 'invalid_request', `Invalid request: ${err.message}`)
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return sendError(
        reply,
        err.statusCode,
        String(err.code ?? 'bad_request')
          .toLowerCase()
          .replace(/^fst_err_/, ''),
        err.message,
      )
    }
    if (clientGone(request.raw, err)) {
      // the client broke or dropped its own request (a malformed chunked body, a hang-up
      // mid-body): its problem, and anyone can cause it — no error line, no stack
      clientErrors.note('request aborted', { code: err.code, url: request.url })
      return sendError(reply, 400, 'bad_request', 'Malformed or aborted request')
    }
    opts.log.error({ err, url: request.url, plugin: routeOf(request)?.pluginId }, 'handler failed')
    return sendError(reply, 500, 'internal_error', 'Internal error; see the gateway log')
  })
  return app
}
