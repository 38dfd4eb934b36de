/**
 * Request bodies. One catch-all parser reads every body under its route's limit (a declared
 * Content-Length over the limit is refused before a byte is read, in the gatekeeper; a chunked
 * body is cut as soon as it passes the limit), keeps the raw bytes for verifiers, and parses JSON
 * and text. Routes declared `stream: true` get the body as a limited stream instead (uploads).
 */
import { Transform, type Readable } from 'node:stream'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import sjson from 'secure-json-parse'
import { BODY_LIMIT_DEFAULT } from './route-table.js'
import { stopReading } from './linger.js'

export function tooLarge(limit: number): Error {
  const err = new Error(`Request body exceeds the ${limit}-byte limit`) as Error & { statusCode: number; code: string }
  err.statusCode = 413
  err.code = 'FST_ERR_CTP_BODY_TOO_LARGE'
  return err
}

function invalidJson(message: string): Error {
  const err = new Error(`Invalid JSON body: ${message}`) as Error & { statusCode: number; code: string }
  err.statusCode = 400
  err.code = 'REVKA_INVALID_JSON'
  return err
}

/** A pass-through that errors (413) once more than `limit` bytes have gone through. */
export function limitStream(source: Readable, limit: number): Readable {
  let seen = 0
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length
      if (seen > limit) {
        source.unpipe(t)
        stopReading(source)
        return cb(tooLarge(limit))
      }
      cb(null, chunk)
    },
  })
  source.on('error', (e) => t.destroy(e))
  source.on('aborted', () => t.destroy(new Error('client aborted the upload')))
  // a handler that refuses an upload without reading it leaves no 'error' listener here: a client
  // hanging up mid-upload then crashed the whole gateway with an uncaught exception (found by
  // test/reliability/fuzz.routes.test.ts). Readers still see the error: for-await and pipeline
  // watch the stream's errored state themselves.
  t.on('error', () => {})
  return source.pipe(t)
}

function readLimited(payload: Readable, limit: number, done: (err: Error | null, body?: Buffer) => void): void {
  const chunks: Buffer[] = []
  let size = 0
  let finished = false
  const finish = (err: Error | null, body?: Buffer) => {
    if (finished) return
    finished = true
    payload.removeListener('data', onData)
    done(err, body)
  }
  const onData = (chunk: Buffer) => {
    size += chunk.length
    if (size > limit) {
      // stop reading: the 413 goes out with Connection: close and the rest is never consumed
      stopReading(payload)
      return finish(tooLarge(limit))
    }
    chunks.push(chunk)
  }
  payload.on('data', onData)
  payload.once('end', () => finish(null, Buffer.concat(chunks, size)))
  payload.once('error', (e) => finish(e))
}

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]*\+)?json\b/

export function installBodyParser(
  app: FastifyInstance,
  recordOf: (r: FastifyRequest) => { bodyLimit: number; decl: { stream?: boolean }; auth?: { provider?: unknown } } | undefined,
): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (request, payload, done) => {
    const rec = recordOf(request)
    const limit = rec?.bodyLimit ?? BODY_LIMIT_DEFAULT
    if (rec?.decl.stream) return done(null, limitStream(payload as Readable, limit))
    readLimited(payload as Readable, limit, (err, buf) => {
      if (err || !buf) return done(err ?? new Error('no body'))
      request.revkaRaw = buf
      // a provider route's body is untrusted until its signature is checked: keep only the bytes,
      // so garbage from a stranger gets 401 from the verifier, not a parse error first
      if (rec?.auth?.provider) return done(null, undefined)
      const ct = String(request.headers['content-type'] ?? '').toLowerCase()
      if (JSON_TYPE.test(ct)) {
        if (buf.length === 0) return done(null, undefined)
        try {
          return done(null, sjson.parse(buf.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' }))
        } catch (e) {
          return done(invalidJson((e as Error).message))
        }
      }
      if (ct.startsWith('text/') || ct.startsWith('application/toml') || ct.startsWith('application/x-www-form-urlencoded')) {
        return done(null, buf.toString('utf8'))
      }
      done(null, buf)
    })
  })
}
