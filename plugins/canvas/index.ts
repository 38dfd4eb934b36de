/**
 * canvas — live canvases (contract §1.13, §3.3): REST to render, read and clear; `/ws/canvas/:id`
 * to watch; `canvas_render` for the agent. Every frame passes through one in-memory store, so a
 * render from the REST route, the tool or a local script reaches the same viewers.
 */
import { ConnectionCap, DEFAULT_SOCKETS_PER_CREDENTIAL, definePlugin } from '@revka/plugin-sdk'
import { addCanvasRoutes } from './routes.js'
import { limitsFrom } from './limits.js'
import { CanvasStore } from './store.js'
import type { CanvasSubscriber } from './subscriber.js'
import { canvasRenderTool } from './tool.js'
import { canvasSocketHandler } from './ws-canvas.js'

interface CanvasOptions {
  subscriber_queue?: number
  max_buffered_bytes?: number
  max_canvases?: number
  max_total_bytes?: number
  credential_canvases?: number
  credential_bytes?: number
  idle_secs?: number
  viewers_per_credential?: number
  max_viewers?: number
}

export default definePlugin<CanvasOptions>({
  setup(api) {
    const store = new CanvasStore(limitsFrom(api.config))
    const bounds = {
      queue: api.config.subscriber_queue ?? 64,
      maxBufferedBytes: api.config.max_buffered_bytes ?? 4 * 1024 * 1024,
    }
    let missedFrames = 0
    const viewers = new Set<CanvasSubscriber>()
    // viewers take no canvas slot; they are bounded per credential (429) and overall (503) instead
    const viewerCap = new ConnectionCap({
      what: 'canvas viewers',
      perCredential: api.config.viewers_per_credential ?? DEFAULT_SOCKETS_PER_CREDENTIAL,
      total: api.config.max_viewers ?? 1024,
    })

    addCanvasRoutes(api.routes, store)
    api.routes.add({
      method: 'GET',
      url: '/ws/canvas/:id',
      websocket: true,
      subprotocol: 'revka.v1',
      auth: 'bearer',
      description: 'live frames of one canvas (current frame, connected, then each render)',
      admit: viewerCap.admit,
      handler: viewerCap.guard(
        canvasSocketHandler({
          store,
          bounds,
          viewers,
          onMissed: (n) => {
            missedFrames += n
          },
        }),
      ),
    })

    const tool = canvasRenderTool(store)
    api.hooks.tools.tap((tools) => [...tools, tool])

    api.hooks.status.tap((doc, ctx) => {
      if (!ctx.authenticated) return doc
      let lagging = 0
      for (const v of viewers) if (v.lagging) lagging++
      // missed_frames counts frames reported to viewers as missed (in `lagged` messages)
      doc.canvas = {
        canvases: store.size,
        bytes: store.bytes,
        max_bytes: store.limits.maxTotalBytes,
        evicted_idle: store.evicted,
        viewers: viewers.size,
        lagging_viewers: lagging,
        missed_frames: missedFrames,
      }
      return doc
    })

    // idle canvases go even when nobody renders, so their memory comes back; the kernel clears
    // the timer when the plugin stops or is disabled (api.own)
    api.onStart(() => {
      api.own(setInterval(() => store.sweep(), Math.min(store.limits.idleMs, 60_000))).unref()
    })
  },
})
