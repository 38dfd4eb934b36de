/**
 * `/ws/canvas/:id` (contract §3.3): the current frame if there is one, then `connected`, then every
 * new frame. The kernel has already checked Origin, the bearer token and the `revka.v1`
 * subprotocol; client messages are ignored.
 */
import type { RevkaRequest, RevkaSocket } from '@revka/plugin-sdk'
import { isCanvasId, type CanvasStore } from './store.js'
import { CanvasSubscriber, type LagBounds } from './subscriber.js'

/** close code for a canvas id the REST routes would refuse with 400 (4xxx: application-defined) */
const CLOSE_BAD_ID = 4400

export interface CanvasWsDeps {
  store: CanvasStore
  bounds: LagBounds
  onMissed(n: number): void
  /** live viewers, for /api/status */
  viewers: Set<CanvasSubscriber>
}

export function canvasSocketHandler(deps: CanvasWsDeps) {
  return (socket: RevkaSocket, req: RevkaRequest<undefined>): void => {
    const canvasId = req.params.id
    if (!isCanvasId(canvasId)) {
      socket.send(JSON.stringify({ type: 'error', error: 'Invalid canvas id: use 1-128 characters of A-Z a-z 0-9 _ . -' }))
      socket.close(CLOSE_BAD_ID, 'invalid canvas id')
      return
    }
    const viewer = new CanvasSubscriber(socket, canvasId, deps.bounds, deps.onMissed)
    // the snapshot is taken before subscribing, synchronously: no render can slip in between
    const current = deps.store.snapshot(canvasId)
    // a viewer takes no canvas slot (the route bounds viewers per credential instead)
    const unsubscribe = deps.store.subscribe(canvasId, viewer)
    const leave = () => {
      unsubscribe()
      deps.viewers.delete(viewer)
    }
    deps.viewers.add(viewer)
    // a socket that closed before this handler ran will not emit close again
    if (socket.readyState > 1) return void leave()
    socket.on('close', leave)
    if (current) viewer.greet({ type: 'frame', canvas_id: canvasId, frame: current })
    viewer.greet({ type: 'connected', canvas_id: canvasId })
  }
}
