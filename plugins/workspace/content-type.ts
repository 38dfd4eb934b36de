/**
 * Content type by extension, and which types are active: an HTML or SVG file served from the
 * gateway's own origin could run script next to the dashboard's credentials, so those get a
 * `sandbox` CSP (an opaque origin, no script) on top of `nosniff`.
 */
import { contentTypeByExtension } from '@revka/plugin-sdk'

/** beyond the SDK's common table: YAML/TOML shown as text in the browser, icons, more media, fonts */
const EXTRA: Record<string, string> = {
  '.toml': 'text/plain; charset=utf-8',
  '.yaml': 'text/yaml; charset=utf-8',
  '.yml': 'text/yaml; charset=utf-8',
  '.ico': 'image/x-icon',
  '.avif': 'image/avif',
  '.ogg': 'audio/ogg',
  '.m4a': 'audio/mp4',
  '.mov': 'video/quicktime',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
}

const ACTIVE = new Set(['text/html; charset=utf-8', 'image/svg+xml', 'application/xml', 'text/javascript; charset=utf-8'])

export function contentTypeOf(path: string): { type: string; active: boolean } {
  const type = contentTypeByExtension(path, EXTRA)
  return { type, active: ACTIVE.has(type) }
}
