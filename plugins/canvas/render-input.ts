/**
 * Checking a render request, shared by `POST /api/canvas/:id` and the `canvas_render` tool so both
 * refuse the same things with the same words.
 */
import { CONTENT_TYPES, MAX_CONTENT_BYTES, contentBytes, isCanvasId, isContentType, type ContentType } from './store.js'

export interface RenderInput {
  canvasId: string
  contentType: ContentType
  content: string
}

export interface RenderRefusal {
  status: 400 | 413
  code: string
  message: string
}

export const INVALID_ID_MESSAGE = 'Invalid canvas id: use 1-128 characters of A-Z a-z 0-9 _ . -'

export function checkRender(canvasId: unknown, body: unknown): RenderInput | RenderRefusal {
  if (!isCanvasId(canvasId)) return { status: 400, code: 'invalid_canvas_id', message: INVALID_ID_MESSAGE }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { status: 400, code: 'invalid_body', message: 'Send a JSON object: {"content_type"?: "html"|"svg"|"markdown"|"text", "content": "..."}' }
  const b = body as Record<string, unknown>
  const type = b.content_type ?? 'html'
  if (!isContentType(type))
    return { status: 400, code: 'invalid_content_type', message: `Invalid content_type ${JSON.stringify(type)}. Allowed: ${CONTENT_TYPES.join(', ')}` }
  if (typeof b.content !== 'string') return { status: 400, code: 'missing_content', message: 'Missing required field: content (a string)' }
  if (contentBytes(b.content) > MAX_CONTENT_BYTES)
    return { status: 413, code: 'content_too_large', message: `Content exceeds maximum size of ${MAX_CONTENT_BYTES} bytes` }
  return { canvasId, contentType: type, content: b.content }
}

export function isRefusal(r: RenderInput | RenderRefusal): r is RenderRefusal {
  return (r as RenderRefusal).status !== undefined
}
