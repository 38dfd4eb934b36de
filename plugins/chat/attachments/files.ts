/**
 * Where attachments live and what their sidecar says: `<workspace>/attachments/<sid>/<file_id>`
 * plus `<file_id>.json`. Every path here is built from ids that passed `isValidId`, and the session
 * folder is checked to resolve inside the attachments root, so neither a crafted id nor a planted
 * symlink can move a read or a write elsewhere. In cluster mode the shared rows (./shared.ts) are
 * the truth and these files a copy: a lookup asks the row first. A copy's sidecar says `shared`;
 * a file stored before the node joined a cluster has no row and no mark, and stays this node's
 * (used by its turns, never removed for want of a row).
 */
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, realpathSync } from 'node:fs'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join, sep } from 'node:path'
import { isValidId } from '../ids.js'

/** The largest file an upload may carry: exactly 25 MiB (26 214 400 bytes) is accepted. */
export const MAX_FILE_BYTES = 25 * 1024 * 1024
/**
 * The route's body limit: the file plus room for the multipart framing (boundaries, part headers,
 * a few small extra fields). A file over MAX_FILE_BYTES is refused by the parser even when the
 * whole body is under this limit.
 */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024
export const UPLOAD_BODY_LIMIT = MAX_FILE_BYTES + MULTIPART_OVERHEAD_BYTES

export interface AttachmentMeta {
  file_id: string
  filename: string
  size: number
  mime: string
  session_id: string
  created_at: string
}

/** the cluster's rows of every attachment (./shared.ts), which a node's files are copies of */
export interface SharedRows {
  meta(sid: string, fileId: string): Promise<AttachmentMeta | null>
  data(sid: string, fileId: string): Promise<Buffer | null>
  /** the removed file's size, or null when no node had it */
  remove(sid: string, fileId: string): Promise<number | null>
  removeSession(sid: string): Promise<number>
  /** the stored file at `path` becomes the cluster's; 507 past a quota */
  record(m: AttachmentMeta, owner: string | null, path: string): Promise<void>
}

export class AttachmentFiles {
  readonly root: string
  /** cluster mode only, set at start */
  shared?: SharedRows

  constructor(workspaceDir: string) {
    this.root = join(workspaceDir, 'attachments')
  }

  /** The session's folder (created), verified to be a real folder inside the root. */
  sessionDir(sid: string, create: boolean): string | null {
    if (!isValidId(sid)) throw new Error('invalid session id')
    const dir = join(this.root, sid)
    if (create) mkdirSync(dir, { recursive: true, mode: 0o700 })
    else if (!existsSync(dir)) return null
    const realRoot = realpathSync(this.root)
    if (!realpathSync(dir).startsWith(realRoot + sep)) throw new Error(`attachment folder of ${sid} escapes ${this.root}`)
    return dir
  }

  /**
   * Writes the sidecar atomically (temp + rename) so a reader never sees half of it; in cluster
   * mode marked `shared` (the file has a row). Two writers of one sidecar each use a temp file.
   */
  async writeMeta(dir: string, meta: AttachmentMeta): Promise<void> {
    const tmp = join(dir, `.${meta.file_id}.${randomUUID()}.json.tmp`)
    await writeFile(tmp, JSON.stringify(this.shared ? { ...meta, shared: true } : meta, null, 2) + '\n', { mode: 0o600 })
    await rename(tmp, join(dir, `${meta.file_id}.json`))
  }

  /**
   * The stored file and its sidecar, or null when the id is malformed or unknown in this session.
   * In cluster mode: null when no node has it (a copy left here is removed), and a file uploaded
   * through another node is copied here from its row first.
   */
  async find(sid: string, fileId: string): Promise<{ path: string; meta: AttachmentMeta } | null> {
    if (!isValidId(sid) || !isValidId(fileId)) return null
    const local = await this.findLocal(sid, fileId)
    if (!this.shared) return local && { path: local.path, meta: local.meta }
    const meta = await this.shared.meta(sid, fileId)
    if (!meta) {
      // a copy of a row that is gone (deleted through another node) is not used again; a file from
      // before the cluster is this node's own
      if (local?.shared) await this.removeLocal(sid, fileId)
      return local && !local.shared ? { path: local.path, meta: local.meta } : null
    }
    // file ids are random and never reused: a copy of this id is a copy of this row
    if (local) return { path: local.path, meta: local.meta }
    const data = await this.shared.data(sid, fileId)
    if (!data) return null
    const dir = this.sessionDir(sid, true)!
    const path = join(dir, fileId)
    // two turns may copy the same file at once: each writes its own temp file, the renames agree
    const tmp = join(dir, `.${fileId}.${randomUUID()}.copy`)
    await writeFile(tmp, data, { mode: 0o600 })
    await rename(tmp, path)
    await this.writeMeta(dir, meta)
    return { path, meta }
  }

  /** Remove one file and its sidecar; its size, or null when there was none (in the cluster, when no node had it). */
  async remove(sid: string, fileId: string): Promise<number | null> {
    if (!isValidId(sid) || !isValidId(fileId)) return null
    const found = await this.findLocal(sid, fileId)
    if (this.shared) {
      const size = await this.shared.remove(sid, fileId)
      await this.removeLocal(sid, fileId)
      // a file from before the cluster has no row: removing it here is all there is
      return size ?? (found && !found.shared ? found.meta.size : null)
    }
    if (!found) return null
    await this.removeLocal(sid, fileId)
    return found.meta.size
  }

  /** The session's folder when it exists and is safe to use; null otherwise (nothing to read or remove). */
  existingSessionDir(sid: string): string | null {
    try {
      return this.sessionDir(sid, false)
    } catch {
      return null
    }
  }

  private async removeLocal(sid: string, fileId: string): Promise<void> {
    const dir = this.existingSessionDir(sid)
    if (!dir) return
    await rm(join(dir, fileId), { force: true })
    await rm(join(dir, `${fileId}.json`), { force: true })
  }

  /** this node's file and sidecar; `shared` when the sidecar says it has a row in the cluster */
  private async findLocal(sid: string, fileId: string): Promise<{ path: string; meta: AttachmentMeta; shared: boolean } | null> {
    const dir = this.existingSessionDir(sid)
    if (!dir) return null
    const path = join(dir, fileId)
    try {
      const { shared, ...meta } = JSON.parse(await readFile(join(dir, `${fileId}.json`), 'utf8')) as AttachmentMeta & { shared?: boolean }
      if (meta.file_id !== fileId || meta.session_id !== sid || !existsSync(path)) return null
      return { path, meta, shared: shared === true }
    } catch {
      return null
    }
  }
}

/** A client file name made safe to show: last path segment, no control characters, bounded. */
export function sanitiseFilename(raw: string | undefined): string {
  let name =
    String(raw ?? '')
      .split(/[\\/]/)
      .pop() ?? ''
  name = name.replace(/[\u0000-\u001f\u007f"<>]/g, '').trim()
  if (name.length > 200) name = name.slice(0, 200)
  if (!name || name === '.' || name === '..') return 'file'
  return name
}

const EXT_MIME: Record<string, string> = {
  txt: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  json: 'application/json',
  html: 'text/html',
  xml: 'application/xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  log: 'text/plain',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
  zip: 'application/zip',
}

/** The declared type when it is well formed, else a guess from the extension. */
export function mimeOf(declared: string | undefined, filename: string): string {
  const d = String(declared ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase()
  if (/^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/.test(d) && d !== 'application/octet-stream') return d
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(filename)?.[1]?.toLowerCase()
  return (ext && EXT_MIME[ext]) || 'application/octet-stream'
}
