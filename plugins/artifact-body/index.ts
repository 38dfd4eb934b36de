/**
 * artifact-body — DOMAIN.md §12. `GET /api/artifact-body?location=` streams one artifact file
 * (never buffered whole: a read stream over the descriptor opened by locate.ts, bounded to the size
 * seen at open). Only files inside the domain store's artifact directory are served; see locate.ts.
 *
 * Deliberate difference: the reference's "security policy" is the agent workspace's allowed roots;
 * here it is the store's artifact directory (inside the state dir), so no other file on the host
 * can be read through this route. The body is served with `nosniff` and a sandboxing CSP: an HTML
 * artifact opened from the dashboard cannot run script in the dashboard's origin.
 */
import { basename } from 'node:path'
import { domainStoreAccessor, definePlugin, httpError, reply } from '@revka/plugin-sdk'
import { contentTypeOf, dispositionOf } from './content-type.js'
import { storedBody } from './fallback.js'
import { MAX_BODY_BYTES, locate, realRoot } from './locate.js'

function headersFor(name: string, size: number): Record<string, string> {
  return {
    'content-type': contentTypeOf(name),
    'content-length': String(size),
    'cache-control': 'private, max-age=60',
    'content-disposition': dispositionOf(name),
    'x-content-type-options': 'nosniff',
    'content-security-policy': 'sandbox',
  }
}

export default definePlugin({
  setup(api) {
    const storeOf = domainStoreAccessor(api)

    api.routes.add({
      method: 'GET',
      url: '/api/artifact-body',
      auth: 'bearer',
      description: "streams the artifact file at ?location= (inside the store's artifact directory; 256 MiB cap → 413)",
      handler: async (req) => {
        const store = storeOf()
        const location = typeof req.query.location === 'string' ? req.query.location.trim() : ''
        if (!location) throw httpError(400, 'location_required', 'location is required')
        const root = await realRoot(store.artifactRoot, (dir) => api.gateway.stateOverlap(dir) === 'inside')
        const found = await locate(location, root, api.gateway.env('HOME'))
        if (found.kind === 'file') {
          const headers = headersFor(basename(found.path), found.size)
          // `end` is inclusive, so an empty file is answered without a stream
          if (found.size === 0) {
            await found.fd.close()
            return reply({ headers, body: Buffer.alloc(0) })
          }
          // bounded to the size checked at open: a file growing meanwhile is not read past the cap
          const stream = found.fd.createReadStream({ start: 0, end: found.size - 1, highWaterMark: 64 * 1024, autoClose: true })
          return reply({ headers, body: stream })
        }
        if (found.kind === 'forbidden') throw httpError(403, 'location_forbidden', found.message)
        if (found.kind === 'not_file') throw httpError(400, 'not_a_file', found.message)
        if (found.kind === 'too_large') {
          throw httpError(413, 'artifact_too_large', `artifact is ${found.size} bytes; at most ${MAX_BODY_BYTES} are served`, { extra: { size: found.size } })
        }
        const stored = await storedBody(store, location)
        if (stored) {
          if (stored.bytes.length > MAX_BODY_BYTES)
            throw httpError(413, 'artifact_too_large', 'stored artifact body is too large', { extra: { size: stored.bytes.length } })
          return reply({ headers: { ...headersFor(stored.name, stored.bytes.length), 'x-revka-artifact-source': 'revision-metadata' }, body: stored.bytes })
        }
        if (found.kind === 'invalid') throw httpError(400, 'location_invalid', found.message)
        throw httpError(404, 'artifact_not_found', `artifact not found on disk: ${location}`, { extra: { detail: found.message, path: found.path } })
      },
    })
  },
})
