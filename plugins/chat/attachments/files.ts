/**
 * Where attachments live and what their sidecar says: `<workspace>/attachments/<sid>/<file_id>`
 * plus `<file_id>.json`. Every path here is built from ids that passed `isValidId`, and the session
 * folder is checked to resolve inside the attachments root, so neither a crafted id nor a planted
 * symlink can move a read or a write elsewhere.
 */
import { existsSync, mkdirSync, realpathSync } from 'node:fs'
import { readFile, rename, writeFile } from 'node:fs/promises'
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

export class AttachmentFiles {
  readonly root: string

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

  /** Writes the sidecar atomically (temp + rename) so a reader never sees half of it. */
  async writeMeta(dir: string, meta: AttachmentMeta): Promise<void> {
    const tmp = join(dir, `.${meta.file_id}.json.tmp`)
    await writeFile(tmp, JSON.stringify(meta, null, 2) + '\n', { mode: 0o600 })
    await rename(tmp, join(dir, `${meta.file_id}.json`))
  }

  /** The stored file and its sidecar, or null when the id is malformed or unknown in this session. */
  async find(sid: string, fileId: string): Promise<{ path: string; meta: AttachmentMeta } | null> {
    if (!isValidId(sid) || !isValidId(fileId)) return null
    let dir: string | null
    try {
      dir = this.sessionDir(sid, false)
    } catch {
      return null
    }
    if (!dir) return null
    const path = join(dir, fileId)
    try {
      const meta = JSON.parse(await readFile(join(dir, `${fileId}.json`), 'utf8')) as AttachmentMeta
      if (meta.file_id !== fileId || meta.session_id !== sid || !existsSync(path)) return null
      return { path, meta }
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
