/**
 * `GET /api/events`: the event bus as Server-Sent Events (contract §4.1, differences 14 and 15).
 * Every frame carries `id: <event.id>` so a reconnecting EventSource resumes with `Last-Event-ID`
 * from the bus's bounded replay buffer; when the id is older than that buffer (or from before a
 * restart) the client is told it missed events instead of silently getting a gap.
 */
import { httpError, type EventBus, type RevkaRequest, type RouteAdder, type SseStream } from '@revka/plugin-sdk'
import type { EventFanout } from './fanout.js'
import type { StreamRegistry } from './streams.js'

const MAX_TYPES = 64

/** `Last-Event-ID` header, else `?last_event_id=`; undefined when neither is present. */
export function parseLastEventId(req: RevkaRequest): number | undefined {
  const h = req.headers['last-event-id']
  const raw = (Array.isArray(h) ? h[0] : h) ?? req.query.last_event_id
  if (raw === undefined || raw.trim() === '') return undefined
  const text = raw.trim()
  if (!/^\d{1,15}$/.test(text)) {
    throw httpError(400, 'invalid_last_event_id', 'Last-Event-ID must be a non-negative integer event id')
  }
  return Number(text)
}

/** `?types=a,b` → a set of event types, or null for "all". */
export function parseTypes(q: string | undefined): Set<string> | null {
  if (q === undefined) return null
  const types = q
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (!types.length) return null
  if (types.length > MAX_TYPES || types.some((t) => t.length > 128)) {
    throw httpError(400, 'invalid_types', `types must list at most ${MAX_TYPES} event types of at most 128 characters`)
  }
  return new Set(types)
}

function sendMissed(sse: SseStream, bus: EventBus, lastId: number): void {
  const newest = bus.lastId
  const why =
    lastId > newest
      ? `event id ${lastId} is newer than the gateway's newest (${newest}); the gateway restarted`
      : `event id ${lastId} is older than the replay buffer`
  // the id moves the client's resume point to "now": having been told about the gap, a later
  // reconnect should not be told again
  sse.send(
    {
      type: 'error',
      component: 'events',
      code: 'events_missed',
      message: `Some events were missed (${why}); continuing with live events`,
      last_event_id: lastId,
      timestamp: new Date().toISOString(),
    },
    { id: newest },
  )
}

export function addEventStreamRoute(routes: RouteAdder, bus: EventBus, streams: StreamRegistry, fanout: EventFanout): void {
  routes.add({
    method: 'GET',
    url: '/api/events',
    auth: 'bearer',
    streaming: true,
    queryToken: true,
    description: 'SSE of the event bus; Last-Event-ID resumes; ?types=a,b filters',
    handler: (req, reply) => {
      // everything that can fail is checked before the head goes out, so failures are JSON errors
      const lastId = parseLastEventId(req)
      const types = parseTypes(req.query.types)
      const sse = streams.start(reply, 'events', streams.reserve(req))
      if (lastId !== undefined) {
        // replay and the fan-out's starting point are read in the same synchronous step, so the
        // client sees every id exactly once: the replay ends at bus.lastId, live delivery starts
        // after it (even for events emitted earlier but not yet flushed)
        const missed = bus.since(lastId)
        if (missed === null || lastId > bus.lastId) sendMissed(sse, bus, lastId)
        else {
          for (const e of missed) {
            if (types && !types.has(e.type)) continue
            sse.send(e, { id: e.id })
            if (sse.closed) break
          }
        }
      }
      // a replay that overflowed the buffer has already dropped the client
      if (sse.closed) return
      fanout.add(sse, types, bus.lastId)
    },
  })
}
