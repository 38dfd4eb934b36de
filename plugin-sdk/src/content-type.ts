/**
 * Content types by file extension for plugins that serve stored files (workspace, artifact
 * bodies). The common table is the part every such plugin answers the same; a plugin passes its
 * own additions or differences (e.g. how YAML is labelled) instead of keeping a copy of the table.
 */
import { extname } from 'node:path'

/** The extensions every file-serving plugin labels alike (lower case, with the dot). */
export const COMMON_CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
})

/**
 * A file name's content type: `extra` first, then the common table, by the lower-cased extension;
 * anything unknown is `application/octet-stream` (never guessed from the bytes).
 */
export function contentTypeByExtension(name: string, extra: Readonly<Record<string, string>> = {}): string {
  const ext = extname(name).toLowerCase()
  if (Object.hasOwn(extra, ext)) return extra[ext]
  return Object.hasOwn(COMMON_CONTENT_TYPES, ext) ? COMMON_CONTENT_TYPES[ext] : 'application/octet-stream'
}
