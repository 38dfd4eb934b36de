/**
 * Content type by extension, and which types are active: an HTML or SVG file served from the
 * gateway's own origin could run script next to the dashboard's credentials, so those get a
 * `sandbox` CSP (an opaque origin, no script) on top of `nosniff`.
 */
import { extname } from 'node:path'

const TYPES: Record<string, string> = {
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.toml': 'text/plain; charset=utf-8',
  '.yaml': 'text/yaml; charset=utf-8',
  '.yml': 'text/yaml; charset=utf-8',
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
  '.ico': 'image/x-icon',
  '.avif': 'image/avif',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
  '.m4a': 'audio/mp4',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mov': 'video/quicktime',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
}

const ACTIVE = new Set(['text/html; charset=utf-8', 'image/svg+xml', 'application/xml', 'text/javascript; charset=utf-8'])

export function contentTypeOf(path: string): { type: string; active: boolean } {
  const type = TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'
  return { type, active: ACTIVE.has(type) }
}
