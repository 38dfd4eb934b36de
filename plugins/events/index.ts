/**
 * events — the observability streams: `/api/events` (the bus as SSE, resumable), `/api/daemon/logs`
 * (the gateway log as SSE) and `/api/channel-events` (loopback operators feeding the bus). Both
 * streams take `?token=` because EventSource cannot set headers; the kernel accepts it only on
 * routes that declare `queryToken`, redacts it from logs, and ends the streams of a revoked token.
 */
import { definePlugin } from '@revka/plugin-sdk'
import { addChannelEventsRoute } from './channel-events.js'
import { addDaemonLogRoute } from './daemon-logs.js'
import { addEventStreamRoute } from './event-stream.js'
import { EventFanout } from './fanout.js'
import { resolveLogPath, resolveOptions, type EventsOptions } from './options.js'
import { StreamRegistry } from './streams.js'

export default definePlugin<Partial<EventsOptions>>({
  setup(api) {
    const opts = resolveOptions(api.config)
    // checked in setup so a bad `file` fails the plugin with a diagnostic, not each request
    const logPath = resolveLogPath(api.gateway.logsDir, opts.file)
    const streams = new StreamRegistry(opts)
    const fanout = new EventFanout(api.events, opts.flushIntervalMs)

    addEventStreamRoute(api.routes, api.events, streams, fanout)
    addDaemonLogRoute(api.routes, logPath, opts, streams)
    addChannelEventsRoute(api.routes, api.events)

    api.hooks.status.tap((doc, ctx) => {
      if (!ctx.authenticated) return doc
      doc.events = { subscribers: streams.count('events'), last_event_id: api.events.lastId }
      return doc
    })

    api.onStop(() => {
      // events already emitted reach the streams before they end
      fanout.flush()
      streams.closeAll()
    })
  },
})
