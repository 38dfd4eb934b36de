/**
 * The multipart/form-data side of an upload, on @fastify/busboy: the body is parsed as it streams
 * in and one named part is handed over as a stream, so a 25 MiB file goes to disk through buffers
 * of a few dozen kilobytes (busboy stops reading the socket while that stream is not read).
 * Every other part is read past without being kept. Differences from a full RFC 7578 reading, all
 * busboy's: a part without `Content-Disposition: form-data` is skipped, and `filename*` is ignored
 * (RFC 7578 §4.2 forbids it; the plain `filename` is used, reduced to its last path segment).
 */
import { finished } from 'node:stream'
import type { Readable } from 'node:stream'
import { Busboy, type BusboyInstance } from '@fastify/busboy'

/** parts per body: a form with an attachment has a handful */
const MAX_PARTS = 64
/** bytes of one part's header block; busboy ignores what lies past it */
const MAX_HEADER_BYTES = 16 * 1024

export interface FilePart {
  /** the client's file name, last path segment only (sanitise before display) */
  filename?: string
  contentType: string
  stream: Readable
}

/** A malformed body: the caller answers 400. */
export class MultipartError extends Error {}

/** A parser for a `multipart/form-data` request with a boundary, or null for anything else. */
export function multipartParser(headers: Record<string, string | string[] | undefined>): BusboyInstance | null {
  const type = headers['content-type']
  if (typeof type !== 'string' || !/^multipart\/form-data\s*(;|$)/i.test(type.trim())) return null
  try {
    // every part is a stream (none is buffered as a field): the wanted one is read, the rest drained
    return Busboy({ headers: { ...headers, 'content-type': type }, isPartAFile: () => true, limits: { parts: MAX_PARTS, headerSize: MAX_HEADER_BYTES } })
  } catch {
    return null // no boundary
  }
}

/**
 * Stream `body` through `parser`; `onPart` gets the first part named `field` and settles once it
 * has dealt with it. Resolves with `onPart`'s result (undefined when there was no such part) after
 * the closing boundary. Rejects with a MultipartError for a malformed body, with the body's own
 * error when it fails (the kernel's 413, a client gone), or with `onPart`'s error; in every case
 * only after `onPart` has settled, so whatever it cleans up is cleaned up before the answer.
 */
export function readPart<T>(body: Readable, parser: BusboyInstance, field: string, onPart: (part: FilePart) => Promise<T>): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    let handled: Promise<T> | undefined
    let current: Readable | undefined
    let failed = false
    const fail = (e: unknown) => {
      if (failed) return
      failed = true
      body.unpipe(parser)
      // ends onPart's reading, which then cleans up after itself
      current?.destroy(e as Error)
      const settled = handled
        ? handled.then(
            () => {},
            () => {},
          )
        : Promise.resolve()
      void settled.then(() => reject(e))
    }
    parser.on('file', (name, stream, filename, _encoding, contentType) => {
      if (failed || handled || name !== field) {
        // a part cut short by the body's end errors: nobody is reading this one
        stream.on('error', () => {})
        stream.resume()
        return
      }
      current = stream
      handled = onPart({ filename, contentType, stream })
      handled.catch(fail)
    })
    parser.on('partsLimit', () => fail(new MultipartError(`more than ${MAX_PARTS} parts`)))
    parser.on('error', (e: Error) => fail(new MultipartError(e.message)))
    parser.on('finish', () => {
      if (failed) return
      void (handled ?? Promise.resolve(undefined)).then((v) => {
        if (!failed) resolve(v)
      }, fail)
    })
    // an error, or a close before the end (a client gone mid-upload), stops everything
    finished(body, (e) => {
      if (e) fail(e)
    })
    body.pipe(parser)
  })
}
