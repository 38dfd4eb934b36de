/**
 * Turns per session: one at a time, the rest queued in arrival order. Unlike the reference (which
 * drops a message sent during a turn and expects the client to resend it), a message that arrives
 * mid-turn waits in a bounded queue — 8 per session — and a ninth is refused with SESSION_BUSY, so
 * memory stays bounded and nothing the user typed disappears silently. Steering and stop act on
 * the session's running turn, whichever socket sends them.
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from '@revka/plugin-sdk'
import { runTurn, STEERING_PREFIX, type ActiveTurn, type FrameSink, type TurnDeps, type TurnJob } from './turn-run.js'

export const MAX_QUEUED_PER_SESSION = 8

interface SessionTurns {
  active: ActiveTurn | null
  queue: TurnJob[]
  /** the drain loop, while one runs */
  loop: Promise<void> | null
  lastFailed: boolean
}

export interface TurnState {
  session_id: string
  state: 'idle' | 'running' | 'error'
  turn_id?: string
  turn_started_at?: string
}

export class TurnManager {
  private readonly sessions = new Map<string, SessionTurns>()
  private closed = false

  constructor(
    private readonly deps: () => TurnDeps,
    private readonly log: Logger,
  ) {}

  private entry(sid: string): SessionTurns {
    let s = this.sessions.get(sid)
    if (!s) this.sessions.set(sid, (s = { active: null, queue: [], loop: null, lastFailed: false }))
    return s
  }

  /** Starts the message now, queues it behind the running turn, or refuses it when the queue is full. */
  submit(sid: string, job: TurnJob): void {
    if (this.closed) {
      job.sink.send({ type: 'error', message: 'The gateway is shutting down', code: 'SESSION_BUSY' })
      return
    }
    const s = this.entry(sid)
    const busy = s.loop !== null
    if (busy && s.queue.length >= MAX_QUEUED_PER_SESSION) {
      job.sink.send({
        type: 'error',
        code: 'SESSION_BUSY',
        message: `Session is busy: ${MAX_QUEUED_PER_SESSION} messages are already waiting for the current turn`,
      })
      return
    }
    s.queue.push(job)
    if (busy) {
      job.sink.send({
        type: 'operator_status',
        phase: 'queued',
        detail: `Queued behind the current turn (position ${s.queue.length} of ${MAX_QUEUED_PER_SESSION})`,
      })
      return
    }
    s.loop = this.drain(sid, s)
  }

  private async drain(sid: string, s: SessionTurns): Promise<void> {
    try {
      for (let job = s.queue.shift(); job; job = s.queue.shift()) {
        if (!job.sink.open || this.closed) continue
        const turn: ActiveTurn = {
          id: randomUUID(),
          startedAt: new Date().toISOString(),
          sink: job.sink,
          abort: new AbortController(),
          steering: [],
          reason: null,
        }
        s.active = turn
        try {
          s.lastFailed = !(await runTurn(this.deps(), sid, job, turn))
        } catch (e) {
          // runTurn answers the client itself; this is a fault in the store or the resolver
          s.lastFailed = true
          this.log.error({ err: (e as Error).message, session_id: sid }, 'chat turn failed outside the runtime')
          job.sink.send({ type: 'error', message: 'The turn failed; see the gateway log', code: 'AGENT_ERROR' })
        } finally {
          s.active = null
        }
      }
    } finally {
      s.loop = null
      if (!s.lastFailed) this.sessions.delete(sid)
    }
  }

  /** A steering note for the running turn; false when the session is idle. */
  steer(sid: string, sink: FrameSink, note: string): boolean {
    const turn = this.sessions.get(sid)?.active
    if (!turn) return false
    turn.steering.push(note)
    // the note already reached the turn; persisting it is best effort (a lost cluster engine)
    const warn = (e: unknown) => this.log.warn({ err: (e as Error).message, session_id: sid }, 'could not persist a steering note')
    try {
      this.deps()
        .store.append(sid, 'user', STEERING_PREFIX + note)
        .catch(warn)
    } catch (e) {
      warn(e)
    }
    sink.send({ type: 'operator_status', phase: 'steering', detail: 'Steering note delivered to the running turn' })
    return true
  }

  /** Stops the running turn (its `stopped` frame follows when it has ended); false when idle. */
  stop(sid: string, sink: FrameSink): boolean {
    const turn = this.sessions.get(sid)?.active
    if (!turn) return false
    turn.reason ??= 'stop'
    turn.abort.abort(new Error('stopped by the user'))
    // the turn's own socket gets `stopped` when it ends; another socket asking gets its answer now
    if (turn.sink !== sink) sink.send({ type: 'stopped', message: 'Stopped current Operator turn.' })
    return true
  }

  /** A socket went away: its running turn is stopped and its queued messages dropped. */
  detach(sink: FrameSink): void {
    for (const s of this.sessions.values()) {
      s.queue = s.queue.filter((j) => j.sink !== sink)
      if (s.active?.sink === sink) {
        s.active.reason ??= 'detached'
        s.active.abort.abort(new Error('client disconnected'))
      }
    }
  }

  state(sid: string): TurnState {
    const s = this.sessions.get(sid)
    if (s?.active) return { session_id: sid, state: 'running', turn_id: s.active.id, turn_started_at: s.active.startedAt }
    return { session_id: sid, state: s?.lastFailed ? 'error' : 'idle' }
  }

  /** ids of sessions with a turn running now */
  running(): string[] {
    return [...this.sessions].filter(([, s]) => s.active).map(([id]) => id)
  }

  /** Stop everything and wait (bounded by the caller) for the turns to unwind. */
  async shutdown(): Promise<void> {
    this.closed = true
    const loops: Promise<void>[] = []
    for (const s of this.sessions.values()) {
      s.queue = []
      if (s.active) {
        s.active.reason ??= 'shutdown'
        s.active.abort.abort(new Error('gateway shutting down'))
      }
      if (s.loop) loops.push(s.loop)
    }
    await Promise.allSettled(loops)
  }
}
