/**
 * Turning a `PUT /api/config` request into TOML text. The body is raw TOML, as the reference takes
 * it; the kernel hands text/plain over as a string and other media types as bytes, and it parses
 * JSON. A JSON document is refused rather than guessed at: it would replace config.toml with
 * something the operator did not write.
 */
import { httpError, type RevkaRequest } from '@revka/plugin-sdk'

/** Media types a TOML body may carry; none at all is accepted too (curl --data-binary). */
const TOML_TYPES = new Set(['text/plain', 'application/toml', 'text/toml', 'text/x-toml', 'application/x-toml', 'application/octet-stream'])

const HOW = 'Send the raw TOML text with Content-Type: text/plain or application/toml'

function mediaType(req: RevkaRequest): string {
  return String(req.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase()
}

/** The TOML text of the request, or an httpError (415 wrong media type, 400 empty or not UTF-8). */
export function tomlText(req: RevkaRequest): string {
  const type = mediaType(req)
  if (type === 'application/json' || type.endsWith('+json')) {
    throw httpError(415, 'unsupported_media_type', `config is TOML, not JSON. ${HOW}`)
  }
  if (type && !TOML_TYPES.has(type)) {
    throw httpError(415, 'unsupported_media_type', `Unsupported Content-Type: ${type}. ${HOW}`)
  }
  const body = req.body
  // decode the exact bytes: a lossy decode would write U+FFFD into the operator's config
  const bytes = req.rawBody ?? (Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body, 'utf8') : undefined)
  if (!bytes) {
    if (body !== undefined && body !== null) throw httpError(415, 'unsupported_media_type', HOW)
    throw httpError(400, 'empty_body', `Request body is empty. ${HOW}`)
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw httpError(400, 'invalid_encoding', 'Request body is not valid UTF-8')
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  if (!text.trim()) throw httpError(400, 'empty_body', `Request body is empty. ${HOW}`)
  return text
}
