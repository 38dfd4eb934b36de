/**
 * Avatars of store items (agents, teams; DOMAIN.md §3 "Avatar upload", §6): the multipart upload,
 * streamed through @fastify/busboy with a byte cap; the image type taken from the magic bytes,
 * never from the client's word; the new revision that carries it (as the artifact
 * `profile-avatar`, written by the store under its private folder); and the signed URL that
 * serves it. Shared here because every plugin with avatars must refuse the same inputs the same
 * way and must not serve anything but avatar files.
 */
import { createReadStream } from 'node:fs'
import { relative, sep, join } from 'node:path'
import type { Readable } from 'node:stream'
import { httpError, isHttpError } from './errors.js'
import { reply } from './reply.js'
import type { RevkaRequest } from './types.js'
import type { DomainStore, Metadata, Revision, RevisionInput } from './domain-store.js'

/** 5 MiB, the reference's avatar limit */
export const AVATAR_MAX_BYTES = 5 * 1024 * 1024
/** The artifact name an avatar revision carries its image under. */
export const AVATAR_ARTIFACT = 'profile-avatar'

/** An avatar upload read by `readAvatarUpload`: the item's kref and the checked image. */
export interface AvatarUpload {
  /** the `kref` text field as sent */
  kref: string
  bytes: Buffer
  /** sniffed from the bytes */
  mime: string
  ext: string
  /** the client's file name, sanitised (§3) */
  filename: string
}

/** PNG, JPEG, GIF or WebP by magic bytes; null for anything else (SVG included). */
export function sniffImage(b: Buffer): { mime: string; ext: string } | null {
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return { mime: 'image/png', ext: 'png' }
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { mime: 'image/jpeg', ext: 'jpg' }
  if (b.length >= 6 && (b.subarray(0, 6).toString('latin1') === 'GIF87a' || b.subarray(0, 6).toString('latin1') === 'GIF89a'))
    return { mime: 'image/gif', ext: 'gif' }
  if (b.length >= 12 && b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP')
    return { mime: 'image/webp', ext: 'webp' }
  return null
}

/** §3: `/\:*?"<>|` and control characters → `_`, dots trimmed, default `avatar`. */
export function sanitiseAvatarFilename(name: string | undefined): string {
  const s = (name ?? '')
    .replace(/[/\\:*?"<>|\u0000-\u001f\u007f]/g, '_')
    .replace(/^\.+|\.+$/g, '')
    .slice(0, 200)
  return s || 'avatar'
}

/**
 * Read `kref` and `file` from a multipart body (a route declared `stream: true`). Errors are the
 * contract's: 400 missing kref / file / empty file / malformed, 413 over `maxBytes`, 415 for a
 * declared SVG, a declared type that is neither image/* nor octet-stream, or bytes that are not an
 * accepted image. Refusals ask to close the connection: the rest of the body is not read.
 */
export async function readAvatarUpload(req: RevkaRequest, opts: { what: 'agent' | 'team'; maxBytes?: number }): Promise<AvatarUpload> {
  const max = opts.maxBytes ?? AVATAR_MAX_BYTES
  try {
    const ct = req.headers['content-type'] ?? ''
    if (!/^multipart\/form-data/i.test(ct) || !req.stream) throw httpError(400, 'not_multipart', `Send multipart/form-data with the fields "kref" and "file"`)
    const got = await parse(req.stream, req.headers as Record<string, string>, max)
    if (!got.kref) throw httpError(400, 'missing_kref', `missing ${opts.what} kref`)
    if (!got.file) throw httpError(400, 'missing_file', 'missing avatar file')
    if (got.file.truncated) throw httpError(413, 'payload_too_large', `avatar exceeds the ${max} byte limit`, { extra: { limit: max } })
    if (got.file.bytes.length === 0) throw httpError(400, 'empty_file', 'empty avatar file')
    const declared = got.file.mime.toLowerCase()
    if (declared === 'image/svg+xml') throw httpError(415, 'unsupported_media_type', 'SVG avatars are not accepted')
    if (!declared.startsWith('image/') && declared !== 'application/octet-stream')
      throw httpError(415, 'unsupported_media_type', `declared type ${declared} is not an image`)
    const sniffed = sniffImage(got.file.bytes)
    if (!sniffed) throw httpError(415, 'unsupported_media_type', 'the file is not a PNG, JPEG, GIF or WebP image')
    return { kref: got.kref, bytes: got.file.bytes, filename: sanitiseAvatarFilename(got.file.filename), ...sniffed }
  } catch (e) {
    if (!isHttpError(e))
      throw httpError(400, 'malformed_multipart', `failed to read the multipart body: ${(e as Error).message}`, { headers: { connection: 'close' } })
    throw httpError(e.statusCode, e.code, e.message, { ...e.options, headers: { ...e.options.headers, connection: 'close' } })
  }
}

interface Parsed {
  kref: string | null
  file: { bytes: Buffer; filename: string; mime: string; truncated: boolean } | null
}

async function parse(stream: Readable, headers: Record<string, string>, max: number): Promise<Parsed> {
  const { Busboy } = await import('@fastify/busboy')
  return new Promise<Parsed>((resolve, reject) => {
    const out: Parsed = { kref: null, file: null }
    const bb = Busboy({ headers: headers as any, limits: { files: 1, fields: 8, fieldSize: 4096, parts: 12, fileSize: max } })
    const fail = (e: Error) => {
      stream.unpipe(bb)
      reject(e)
    }
    bb.on('field', (name, value) => {
      if (name === 'kref') out.kref = value.trim()
    })
    bb.on('file', (name, file, filename, _enc, mime) => {
      if (name !== 'file') {
        file.resume()
        return
      }
      const chunks: Buffer[] = []
      file.on('data', (c: Buffer) => chunks.push(c))
      file.on('limit', () => {
        out.file = { bytes: Buffer.alloc(0), filename, mime, truncated: true }
        // nothing more of this body is needed: answer 413 now
        fail(httpError(413, 'payload_too_large', `avatar exceeds the ${max} byte limit`, { extra: { limit: max } }))
      })
      file.on('end', () => {
        if (!out.file) out.file = { bytes: Buffer.concat(chunks), filename, mime, truncated: file.truncated }
      })
    })
    bb.on('error', (e: Error) => fail(e))
    bb.on('finish', () => resolve(out))
    stream.on('error', (e: Error & { statusCode?: number }) =>
      fail(e.statusCode === 413 ? httpError(413, 'payload_too_large', `avatar exceeds the ${max} byte limit`, { extra: { limit: max } }) : e),
    )
    stream.pipe(bb)
  })
}

/**
 * The revision that records a new avatar: the current metadata plus the avatar keys of §2, the
 * artifact `profile-avatar` (bytes written by the store), tagged `published`.
 */
export function avatarRevision(current: Revision | null, up: AvatarUpload, itemKref: string, what: 'agent' | 'team'): RevisionInput {
  const metadata: Metadata = {
    ...(current?.metadata ?? {}),
    avatar_filename: up.filename,
    avatar_mime: up.mime,
    avatar_artifact_name: AVATAR_ARTIFACT,
  }
  return {
    metadata,
    tags: ['published'],
    artifacts: [
      {
        name: AVATAR_ARTIFACT,
        file: { content: up.bytes },
        location_metadata_key: 'avatar_location',
        metadata: { kind: `${what}_avatar`, mime: up.mime, filename: up.filename, [`${what}_item_kref`]: itemKref },
      },
    ],
  }
}

/** The path (under `urlBase`) of an avatar file, or null when its location is not the store's. */
export function avatarUrlPath(store: DomainStore, urlBase: string, location: string | undefined): string | null {
  if (!location) return null
  const rel = relative(store.artifactRoot, location)
  if (!rel || rel.startsWith('..') || rel.startsWith(sep)) return null
  return `${urlBase}/${rel.split(sep).map(encodeURIComponent).join('/')}`
}

/**
 * Answer a signed avatar request: the wildcard must name a file under the store's artifact root
 * (symlinks resolved) that an artifact `profile-avatar` of kind `<what>_avatar` points at.
 * Anything else is 404, so the URL reaches avatar files only.
 */
export async function avatarFileReply(store: DomainStore, wildcard: string, what: 'agent' | 'team') {
  const parts = wildcard.split('/')
  if (!wildcard || parts.some((p) => !p || p === '.' || p === '..' || p.includes('\\') || p.includes('\0')))
    throw httpError(404, 'not_found', 'avatar not found')
  const abs = join(store.artifactRoot, ...parts)
  const real = await store.containedArtifactPath(abs)
  if (!real) throw httpError(404, 'not_found', 'avatar not found')
  const arts = await store.findArtifactsByLocation(abs, { include_deprecated: true })
  const art = arts.find((a) => a.name === AVATAR_ARTIFACT && a.metadata.kind === `${what}_avatar`)
  if (!art) throw httpError(404, 'not_found', 'avatar not found')
  return reply({
    headers: {
      'content-type': art.metadata.mime || 'application/octet-stream',
      'cache-control': 'private, max-age=300',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'",
    },
    body: createReadStream(real),
  })
}
