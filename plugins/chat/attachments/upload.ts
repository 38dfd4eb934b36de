/**
 * `POST /api/sessions/:id/attachments`: the multipart field `file` is streamed through busboy
 * (./multipart.ts) into a hidden temp file beside its final name, then renamed. Nothing of the file is held in
 * memory beyond the chunk in flight, and every failure (oversize, truncated body, client gone)
 * removes the temp file before the error is answered, so a refused upload leaves nothing behind.
 * Uploads go only to an existing session of the caller (404/403 before the body is read), and every
 * chunk is reserved against the install's attachment quota before it is written (507 past it).
 */
import { createWriteStream, type WriteStream } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { once } from 'node:events'
import { finished } from 'node:stream/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { httpError, isHttpError, reply, type RevkaRequest } from '@revka/plugin-sdk'
import { newFileId, sessionIdParam } from '../ids.js'
import { ownedSession } from '../ownership.js'
import type { SessionStore } from '../session-store.js'
import type { AttachmentQuota } from './quota.js'
import { AttachmentFiles, MAX_FILE_BYTES, mimeOf, sanitiseFilename, type AttachmentMeta } from './files.js'
import type { BusboyInstance } from '@fastify/busboy'
import { multipartParser, MultipartError, readPart, type FilePart } from './multipart.js'

interface Pending {
  fileId: string
  dir: string
  tmp: string
  out: WriteStream
  part: FilePart
  size: number
}

export interface UploadDeps {
  files: AttachmentFiles
  store: () => SessionStore
  quota: AttachmentQuota
}

const tooLarge = () =>
  httpError(413, 'payload_too_large', `The file exceeds the ${MAX_FILE_BYTES}-byte (25 MiB) attachment limit`, {
    extra: { limit: MAX_FILE_BYTES },
  })

export function uploadHandler(deps: UploadDeps) {
  return async (req: RevkaRequest): Promise<unknown> => {
    try {
      const sid = sessionIdParam(req.params.id)
      const { owner } = await ownedSession(deps.store(), sid, req.auth)
      const parser = multipartParser(req.headers)
      if (!parser) throw httpError(400, 'not_multipart', 'Send the file as multipart/form-data in a field named "file"')
      if (!req.stream) throw httpError(400, 'missing_file', 'The request has no body; send the file in a multipart field named "file"')
      await deps.quota.admit(owner)
      const meta = await receive(req.stream, parser, sid, owner, deps)
      return reply({ status: 201, body: meta })
    } catch (e) {
      throw closing(e)
    }
  }
}

/**
 * A refused upload may still be streaming in: answer, then drop the connection rather than read
 * (or leave half-read) the rest of a body that is going nowhere.
 */
export function closing(e: unknown): unknown {
  if (!isHttpError(e)) return e
  return httpError(e.statusCode, e.code, e.message, { ...e.options, headers: { ...e.options.headers, connection: 'close' } })
}

async function receive(stream: Readable, parser: BusboyInstance, sid: string, owner: string | null, { files, quota }: UploadDeps): Promise<AttachmentMeta> {
  let done: AttachmentMeta | null = null
  try {
    // only the first `file` field is kept; other fields are read past
    await readPart(stream, parser, 'file', async (part) => {
      done = await store(part, files, sid, owner, quota)
    })
  } catch (e) {
    // the file was stored but the rest of the body is bad: the upload as a whole is refused
    if (done) {
      const d: AttachmentMeta = done
      await files.remove(sid, d.file_id).catch(() => null)
      quota.release(d.size, owner)
    }
    throw asHttpError(e)
  }
  if (!done) throw httpError(400, 'missing_file', 'No multipart field named "file" in the request')
  return done
}

/** One file part to a temp file, chunk by chunk within the limit and the quota, then committed. */
async function store(part: FilePart, files: AttachmentFiles, sid: string, owner: string | null, quota: AttachmentQuota): Promise<AttachmentMeta> {
  const p = openTemp(files, sid, part)
  let stored: AttachmentMeta | null = null
  try {
    for await (const chunk of part.stream) {
      const data = chunk as Buffer
      if (p.size + data.length > MAX_FILE_BYTES) throw tooLarge()
      quota.reserve(data.length, owner)
      p.size += data.length
      // backpressure: stop pulling from the socket until the disk has caught up
      if (!p.out.write(data)) await once(p.out, 'drain')
    }
    const committed = await commit(files, sid, p)
    if (files.shared) {
      // the upload is the cluster's once its row is written (and counted); past a quota it is not kept
      await files.shared.record(committed, owner, join(p.dir, p.fileId)).catch(async (e: unknown) => {
        await removeStored(files, sid, committed.file_id)
        throw e
      })
    }
    stored = committed
    return stored
  } finally {
    // from here the bytes are either stored or given back, whatever went wrong
    if (!stored) {
      await discard(p)
      quota.release(p.size, owner)
    }
  }
}

function openTemp(files: AttachmentFiles, sid: string, part: FilePart): Pending {
  const dir = files.sessionDir(sid, true)!
  const fileId = newFileId()
  const tmp = join(dir, `.${fileId}.part`)
  const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600 })
  // errors surface through write/drain/finished; keep an emitter error from being unhandled
  out.on('error', () => {})
  return { fileId, dir, tmp, out, part, size: 0 }
}

async function commit(files: AttachmentFiles, sid: string, p: Pending): Promise<AttachmentMeta> {
  p.out.end()
  await finished(p.out)
  if (p.size === 0) {
    await discard(p)
    throw httpError(400, 'empty_file', 'The uploaded file is empty')
  }
  const filename = sanitiseFilename(p.part.filename)
  const meta: AttachmentMeta = {
    file_id: p.fileId,
    filename,
    size: p.size,
    mime: mimeOf(p.part.contentType, filename),
    session_id: sid,
    created_at: new Date().toISOString(),
  }
  await rename(p.tmp, join(p.dir, p.fileId))
  await files.writeMeta(p.dir, meta)
  return meta
}

async function discard(p: Pending): Promise<void> {
  p.out.destroy()
  // the (possibly empty) session folder stays: removing it could race a concurrent upload's open
  await rm(p.tmp, { force: true }).catch(() => {})
}

async function removeStored(files: AttachmentFiles, sid: string, fileId: string): Promise<void> {
  const dir = join(files.root, sid)
  await rm(join(dir, fileId), { force: true }).catch(() => {})
  await rm(join(dir, `${fileId}.json`), { force: true }).catch(() => {})
}

function asHttpError(e: unknown): unknown {
  if (isHttpError(e)) return e
  if (e instanceof MultipartError) return httpError(400, 'malformed_multipart', `Malformed multipart body: ${e.message}`)
  // the kernel's body limit (a chunked body over the route limit) surfaces as a stream error
  if ((e as { statusCode?: number })?.statusCode === 413) return tooLarge()
  // the client went away mid-upload: nobody reads this answer, but it is not a server fault
  const code = (e as NodeJS.ErrnoException)?.code
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || /aborted/i.test((e as Error)?.message ?? '')) {
    return httpError(400, 'upload_aborted', 'The upload was interrupted before it completed')
  }
  return e
}
