/**
 * Canvas REST (contract §1.13). Reads need a bearer; writes also accept loopback callers (a local
 * operator script), which the kernel decides from the socket peer and the absence of forwarding
 * headers, never from anything the request claims.
 */
import { credentialKey, httpError, reply, type RouteAdder } from '@revka/plugin-sdk'
import { checkRender, INVALID_ID_MESSAGE, isRefusal } from './render-input.js'
import { MAX_CONTENT_BYTES, isCanvasId, isStoreRefusal, type CanvasStore } from './store.js'

/**
 * The contract's limit is on `content`, checked after parsing. The body may be larger: JSON escapes
 * (`\"`, `\n`, `\uXXXX`) can double the bytes of legitimate HTML, so the kernel's cap leaves room
 * for that plus the envelope while still bounding what is read into memory.
 */
export const POST_BODY_LIMIT = 2 * MAX_CONTENT_BYTES + 16 * 1024

function canvasIdOf(params: Record<string, string>): string {
  const id = params.id
  if (!isCanvasId(id)) throw httpError(400, 'invalid_canvas_id', INVALID_ID_MESSAGE)
  return id
}

export function addCanvasRoutes(routes: RouteAdder, store: CanvasStore): void {
  routes.add({
    method: 'GET',
    url: '/api/canvas',
    auth: 'bearer',
    description: '{canvases: [ids]}',
    handler: () => ({ canvases: store.list() }),
  })

  routes.add({
    method: 'GET',
    url: '/api/canvas/:id',
    auth: 'bearer',
    description: '{canvas_id, frame}: the current frame, or 404',
    handler: (req) => {
      const id = canvasIdOf(req.params)
      const frame = store.snapshot(id)
      if (!frame) throw httpError(404, 'canvas_not_found', `Canvas '${id}' not found`)
      return { canvas_id: id, frame }
    },
  })

  routes.add({
    method: 'GET',
    url: '/api/canvas/:id/history',
    auth: 'bearer',
    description: '{canvas_id, frames}: the last 50 frames, oldest first',
    handler: (req) => {
      const id = canvasIdOf(req.params)
      return { canvas_id: id, frames: store.history(id) }
    },
  })

  routes.add({
    method: 'POST',
    url: '/api/canvas/:id',
    auth: ['loopback', 'bearer'],
    bodyLimit: POST_BODY_LIMIT,
    description: 'render: {content_type?, content} → 201 {canvas_id, frame}; 429/507 over the quotas and budget',
    handler: (req) => {
      const input = checkRender(req.params.id, req.body)
      if (isRefusal(input)) throw httpError(input.status, input.code, input.message)
      // charged to the caller's credential: every tokenless loopback caller is one, "loopback"
      const frame = store.render(input.canvasId, input.contentType, input.content, credentialKey(req.auth))
      if (isStoreRefusal(frame)) throw httpError(frame.status, frame.code, frame.message, { retryAfter: frame.retryAfter })
      return reply({ status: 201, body: { canvas_id: input.canvasId, frame } })
    },
  })

  routes.add({
    method: 'DELETE',
    url: '/api/canvas/:id',
    auth: ['loopback', 'bearer'],
    description: '{canvas_id, status: "cleared"}; viewers get a "clear" frame',
    handler: (req) => {
      const id = canvasIdOf(req.params)
      store.clear(id)
      return { canvas_id: id, status: 'cleared' }
    },
  })
}
