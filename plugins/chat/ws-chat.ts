/**
 * One `/ws/chat` connection (contract §3.1). The kernel has already checked Origin, the token and
 * the `revka.v1` subprotocol and pings every 30 s; this is the frame protocol: `session_start`,
 * the first-frame window, then `connect` / `message` / `steer` / `stop` until the socket closes.
 * A message or steering note over `maxMessageBytes` is refused (MESSAGE_TOO_LARGE) and not stored;
 * a socket that would create a session is admitted by the session rate and cap first (`admitChat`).
 */
import type { AnyEvent, Logger, RevkaRequest, RevkaSocket } from '@revka/plugin-sdk'
import { MAX_ATTACHMENTS_PER_MESSAGE } from './attachments/resolve.js'
import { isValidId, newSessionId } from './ids.js'
import { ownerOf } from './ownership.js'
import { refusalFrame, type SessionAdmission } from './session-admission.js'
import type { SessionStore } from './session-store.js'
import type { FrameSink } from './turn-run.js'
import type { TurnManager } from './turns.js'
import { isUnavailable, unavailableFrame } from './unavailable.js'

export interface ChatSocketDeps {
  store: () => SessionStore
  turns: TurnManager
  /** register a relay for bus events; returns its remover */
  relay: (fn: (e: AnyEvent) => void) => () => void
  firstFrameWaitMs: number
  /** the largest message or steering note, in UTF-8 bytes */
  maxMessageBytes: number
  admission: SessionAdmission
  log: Logger
}

/**
 * The route's `admit` (before the 101): an upgrade with `?name=` that would create a session — no
 * `session_id`, or one that names no live session — takes one from the credential's session rate
 * and must fit its cap, else 429/507. A socket without a name creates its session only with its
 * first message, which is admitted then (an error frame instead of a status). Reopening a live
 * session is never limited. A malformed id or a closed store is left to the handler; a store that
 * cannot be reached (cluster mode) refuses the upgrade with its 503.
 */
export async function admitChat(store: () => SessionStore, admission: SessionAdmission, req: RevkaRequest<undefined>): Promise<void> {
  const requested = req.query.session_id
  if (requested !== undefined && requested !== '' && !isValidId(requested)) return
  if (!String(req.query.name ?? '').trim()) return
  try {
    store()
  } catch {
    return
  }
  if (await admission.wouldCreate(requested || undefined)) await admission.admit(ownerOf(req.auth))
}

const OPEN = 1
/** a client that stops reading is dropped instead of buffering a whole reply for it */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024
const NAME_MAX = 200
/**
 * frames one socket may have waiting for a store that is behind (session_start, a message's
 * admission): a slow or stalled cluster engine would let a flooding client pile up frames in
 * memory without it. A store that answers within the event-loop turn (the local SQLite one) is
 * never behind, however many frames one read delivers at once.
 */
export const MAX_WAITING_FRAMES = 32

export function chatSocketHandler(deps: ChatSocketDeps) {
  return (socket: RevkaSocket, req: RevkaRequest<undefined>): void => {
    const sink: FrameSink = {
      send(frame) {
        if (socket.readyState !== OPEN) return
        if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
          socket.close(1013, 'client too slow')
          return
        }
        socket.send(JSON.stringify(frame))
      },
      get open() {
        return socket.readyState === OPEN
      },
    }
    const error = (code: string, message: string) => sink.send({ type: 'error', message, code })

    const requested = req.query.session_id
    if (requested !== undefined && requested !== '' && !isValidId(requested)) {
      error('INVALID_SESSION_ID', 'session_id must be 1–128 characters of A–Z, a–z, 0–9, "_" or "-"')
      socket.close(1008, 'invalid session_id')
      return
    }
    const sid = requested || newSessionId()
    const name = String(req.query.name ?? '')
      .trim()
      .slice(0, NAME_MAX)
    const owner = ownerOf(req.auth)
    /**
     * A message that creates (or revives) the session takes one from the credential's session rate
     * and must fit its cap (`rate: false` when admit already took it); false after an error frame.
     * A store that cannot answer rejects (the caller's error frame).
     */
    const mayCreate = async (rate: boolean): Promise<boolean> => {
      if (!(await deps.admission.wouldCreate(sid))) return true
      try {
        if (rate) await deps.admission.admit(owner)
        else await deps.admission.checkCap(owner)
        return true
      } catch (e) {
        const frame = refusalFrame(e)
        if (!frame) throw e
        sink.send(frame)
        return false
      }
    }

    let relayOff: (() => void) | null = null
    let firstFrameTimer: NodeJS.Timeout | null = null
    // relaying starts once the handshake window closes: after the first frame, or after the wait
    // with none (listen-only: the socket then only observes, until it says something)
    const startRelay = () => {
      if (firstFrameTimer) {
        clearTimeout(firstFrameTimer)
        firstFrameTimer = null
      }
      if (relayOff || socket.readyState !== OPEN) return
      relayOff = deps.relay((e) => {
        if (e.type === 'channel_event') sink.send({ type: 'agent_event', event: e })
      })
    }

    // frames are handled one after another, after session_start: a message that creates the
    // session is admitted before the next frame is looked at, as when the store answered at once
    let usable = false
    const fault = (e: unknown) => {
      if (isUnavailable(e)) return sink.send(unavailableFrame(e))
      deps.log.error({ err: (e as Error).message, session_id: sid }, 'chat frame failed')
      error('AGENT_ERROR', 'The frame could not be handled; see the gateway log')
    }
    let inbox: Promise<void> = opening()
    let waiting = 0
    // frames still waiting once the event loop turned: the store is behind, not just a burst
    let behind = false
    const drained = () => {
      if (--waiting === 0) behind = false
    }
    socket.on('message', (data: Buffer) => {
      if (behind && waiting >= MAX_WAITING_FRAMES) {
        error('TOO_MANY_FRAMES', `More than ${MAX_WAITING_FRAMES} frames are waiting for the session store; wait for the answers`)
        socket.close(1008, 'too many frames waiting')
        return
      }
      if (waiting++ === 0)
        setImmediate(() => {
          behind = waiting > 0
        })
      const text = data.toString('utf8')
      inbox = inbox
        .then(() => {
          if (!usable) return
          startRelay()
          return onFrame(text)
        })
        .catch(fault)
        .finally(drained)
    })
    socket.on('close', () => {
      if (firstFrameTimer) clearTimeout(firstFrameTimer)
      relayOff?.()
      deps.turns.detach(sink)
    })

    async function opening(): Promise<void> {
      try {
        const store = deps.store()
        // concurrent upgrades all passed admit: the cap is checked again where the row is written
        if (name && !(await store.get(sid)) && !(await mayCreate(false))) {
          socket.close(1008, 'session quota exceeded')
          return
        }
        const row = name ? await store.ensure(sid, 'dashboard', name, owner) : await store.get(sid)
        const count = row?.message_count ?? 0
        sink.send({ type: 'session_start', session_id: sid, resumed: count > 0, message_count: count, ...(row?.name ? { name: row.name } : {}) })
      } catch (e) {
        if (isUnavailable(e)) {
          // the shared store is away for now: the client is told when to try again (1013)
          sink.send(unavailableFrame(e))
          socket.close(1013, 'session store unavailable')
          return
        }
        const refused = refusalFrame(e)
        if (refused) {
          // the cluster store counted again as it created the session: another node was quicker
          sink.send(refused)
          socket.close(1008, refused.code === 'SESSION_RATE_LIMITED' ? 'session rate limited' : 'session quota exceeded')
          return
        }
        deps.log.error({ err: (e as Error).message, session_id: sid }, 'could not open the chat session')
        error('AGENT_ERROR', 'The session store is unavailable')
        socket.close(1011, 'session store unavailable')
        return
      }
      usable = true
      if (!relayOff && socket.readyState === OPEN) firstFrameTimer = setTimeout(startRelay, deps.firstFrameWaitMs)
    }

    function tooLarge(content: string): boolean {
      const bytes = Buffer.byteLength(content)
      if (bytes <= deps.maxMessageBytes) return false
      error(
        'MESSAGE_TOO_LARGE',
        `The message is ${bytes} bytes; the most a message may carry is ${deps.maxMessageBytes} bytes (send a larger text as an attachment)`,
      )
      return true
    }

    async function onFrame(text: string): Promise<void> {
      let frame: any
      try {
        frame = JSON.parse(text)
      } catch {
        return error('INVALID_JSON', 'Frames must be JSON objects')
      }
      if (!frame || typeof frame !== 'object' || Array.isArray(frame)) return error('INVALID_JSON', 'Frames must be JSON objects')
      switch (frame.type) {
        case 'connect':
          deps.log.debug({ session_id: sid, device_name: frame.device_name, capabilities: frame.capabilities }, 'chat client connected')
          return sink.send({ type: 'connected', message: 'Connection established' })
        case 'message': {
          const content = typeof frame.content === 'string' ? frame.content : ''
          if (!content.trim()) return error('EMPTY_CONTENT', 'Message content is empty')
          if (tooLarge(content)) return
          // no more ids (of no more length) than a message may carry: the list is stored with it
          const attachments = Array.isArray(frame.attachments)
            ? frame.attachments.filter((a: unknown): a is string => typeof a === 'string' && a.length <= 256).slice(0, MAX_ATTACHMENTS_PER_MESSAGE)
            : []
          const pageContext = typeof frame.page_context === 'string' ? frame.page_context : undefined
          if (!(await mayCreate(true))) return
          return deps.turns.submit(sid, { sink, content, attachments, pageContext, owner })
        }
        case 'steer': {
          const content = typeof frame.content === 'string' ? frame.content.trim() : ''
          if (!deps.turns.state(sid).turn_id) return error('NO_ACTIVE_TURN', 'There is no running turn to steer')
          if (!content) return error('EMPTY_CONTENT', 'Steering note is empty')
          if (tooLarge(content)) return
          if (!deps.turns.steer(sid, sink, content)) error('NO_ACTIVE_TURN', 'There is no running turn to steer')
          return
        }
        case 'stop':
          if (!deps.turns.stop(sid, sink)) sink.send({ type: 'stopped', message: 'No active Operator turn to stop.' })
          return
        default:
          return error('UNKNOWN_MESSAGE_TYPE', `Unknown message type: ${JSON.stringify(String(frame.type ?? '')).slice(0, 80)}`)
      }
    }
  }
}
