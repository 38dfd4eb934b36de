/**
 * `GET /api/daemon/logs`: the gateway's own log file as Server-Sent Events (contract §4.2). The
 * reference tails `daemon.stderr.log`, which only a service install writes; the kernel here always
 * writes `<state>/logs/gateway.log`, so the stream works under a plain `revka gateway` too.
 */
import type { RouteAdder } from '@revka/plugin-sdk'
import { LogTail } from './log-tail.js'
import type { EventsOptions } from './options.js'
import type { StreamRegistry } from './streams.js'

export function addDaemonLogRoute(routes: RouteAdder, logPath: string, opts: EventsOptions, streams: StreamRegistry): void {
  routes.add({
    method: 'GET',
    url: '/api/daemon/logs',
    auth: 'bearer',
    streaming: true,
    queryToken: true,
    description: 'SSE tail of the gateway log: last 64 KiB, then appended lines',
    handler: (req, reply) => {
      const sse = streams.start(reply, 'logs', streams.reserve(req))
      // ids are per stream: a log line is not a bus event and cannot be replayed after a reconnect
      let seq = 0
      const tail = new LogTail(
        { path: logPath, pollMs: opts.logPollMs, initialBytes: opts.logInitialBytes },
        {
          line: (line) => sse.send({ type: 'log', line, timestamp: new Date().toISOString() }, { id: ++seq }),
          unavailable: () => {
            sse.send({ type: 'log_unavailable', line: `daemon log not readable at ${logPath}`, timestamp: new Date().toISOString() }, { id: ++seq })
          },
        },
      )
      // stop polling the moment the client goes (or is dropped as too slow)
      sse.onClose(() => tail.stop())
      tail.start()
    },
  })
}
