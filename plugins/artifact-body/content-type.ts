/** Content types by extension for artifact bodies; anything unknown is application/octet-stream. */
import { contentTypeByExtension } from '@revka/plugin-sdk'

/** beyond the SDK's common table: source files as plain text, YAML/TOML by their media types */
const EXTRA: Record<string, string> = {
  '.markdown': 'text/markdown; charset=utf-8',
  '.tsv': 'text/tab-separated-values; charset=utf-8',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.toml': 'application/toml',
  '.ts': 'text/plain; charset=utf-8',
  '.py': 'text/plain; charset=utf-8',
  '.rs': 'text/plain; charset=utf-8',
}

export function contentTypeOf(name: string): string {
  return contentTypeByExtension(name, EXTRA)
}

/** `inline; filename="…"` with a plain ASCII fallback and the exact name in `filename*` (RFC 6266). */
export function dispositionOf(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `inline; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}
