/**
 * One agent turn for one chat message: persist the user message, rebuild the conversation from the
 * session's history within the context budget (context.ts), run it
 * through the agent runtime while relaying its events as frames, and end with exactly one of
 * `done`, `stopped` or `error`.
 */
import type { AgentRuntimeService, TurnEvent } from '@revka/plugin-sdk'
import type { AttachmentFiles } from './attachments/files.js'
import { turnContext } from './context.js'
import { refusalFrame } from './session-admission.js'
import type { SessionStore } from './session-store.js'
import { isUnavailable, unavailableFrame } from './unavailable.js'

/** Where a turn's frames go (the socket that sent the message). */
export interface FrameSink {
  send(frame: Record<string, unknown>): void
  readonly open: boolean
}

export interface TurnJob {
  sink: FrameSink
  content: string
  attachments: string[]
  pageContext?: string
  /** the credential key of the socket that sent it: a session this message creates is theirs */
  owner: string
}

export interface ActiveTurn {
  id: string
  startedAt: string
  sink: FrameSink
  abort: AbortController
  /** steering notes not yet taken by the runtime */
  steering: string[]
  /** why the turn was aborted, once it was */
  reason: 'stop' | 'timeout' | 'detached' | 'shutdown' | null
}

export interface TurnDeps {
  store: SessionStore
  runtime: AgentRuntimeService
  files: AttachmentFiles
  historyLimit: number
  /** the bytes of history one turn sends to the runtime (limits.ts) */
  contextBudgetBytes: number
  /** chat's own turn timeout in seconds (option), else the runtime's */
  turnTimeoutSecs?: number
}

export const STEERING_PREFIX = '[Steering note during active turn]\n'
const AGENT_CODES = new Set(['PROVIDER_ERROR', 'AGENT_ERROR', 'AUTH_ERROR'])

function frameOf(e: TurnEvent): Record<string, unknown> | null {
  switch (e.type) {
    case 'chunk':
      return { type: 'chunk', content: e.content }
    case 'thinking':
      return { type: 'thinking', content: e.content }
    case 'tool_call':
      return { type: 'tool_call', name: e.name, args: e.args }
    case 'tool_result':
      return { type: 'tool_result', name: e.name, output: e.output }
    case 'status':
      return { type: 'operator_status', phase: e.phase, detail: e.detail ?? '' }
    default:
      return null
  }
}

function timeoutMessage(secs: number): string {
  return `Stopped current Operator turn after ${secs}s with no response.`
}

/** Runs the turn to its end; resolves true on success, false on error (the session's state). */
export async function runTurn(deps: TurnDeps, sid: string, job: TurnJob, turn: ActiveTurn): Promise<boolean> {
  const { sink } = job
  const started = Date.now()
  const timeoutMs = deps.turnTimeoutSecs ? Math.round(deps.turnTimeoutSecs * 1000) : undefined
  // our own deadline too, so a runtime that ignores its timeout cannot hold the session forever
  const timer = timeoutMs
    ? setTimeout(() => {
        turn.reason ??= 'timeout'
        turn.abort.abort(new Error('turn timed out'))
      }, timeoutMs)
    : null
  const elapsedSecs = () => deps.turnTimeoutSecs ?? Math.max(1, Math.round((Date.now() - started) / 1000))
  const ended = (): boolean => {
    if (turn.reason === 'timeout') sink.send({ type: 'stopped', message: timeoutMessage(elapsedSecs()) })
    else sink.send({ type: 'stopped', message: 'Stopped current Operator turn.' })
    return true
  }
  try {
    await deps.store.append(sid, 'user', job.content, job.attachments, 'dashboard', job.owner)
    const messages = await turnContext(
      {
        store: deps.store,
        files: deps.files,
        images: deps.runtime.supportsImages(),
        historyLimit: deps.historyLimit,
        budgetBytes: deps.contextBudgetBytes,
      },
      sid,
      job.pageContext,
    )
    if (turn.abort.signal.aborted) return ended()
    const result = await deps.runtime.runTurn(
      {
        sessionId: sid,
        messages,
        signal: turn.abort.signal,
        takeSteering: () => turn.steering.splice(0),
        source: 'ws_chat',
        timeoutMs,
      },
      (e) => {
        const frame = frameOf(e)
        if (frame && !turn.abort.signal.aborted) sink.send(frame)
      },
    )
    if (result.timedOut && !turn.reason) turn.reason = 'timeout'
    if (turn.reason || result.stopped || result.timedOut) return ended()
    // persisted before `done`: `done` acknowledges the reply, and a crash between the two used to
    // lose an acknowledged answer (found by test/reliability/crash.consistency.test.ts)
    if (deps.store.open) await deps.store.append(sid, 'assistant', result.content)
    sink.send({ type: 'chunk_reset' })
    sink.send({ type: 'done', full_response: result.content })
    return true
  } catch (e) {
    if (turn.abort.signal.aborted) return ended()
    if (isUnavailable(e)) {
      sink.send(unavailableFrame(e))
      return false
    }
    // the cluster store counted the caller's sessions (cap, rate) again as the message created
    // one (nodes the admission could not see): the message is refused, nothing is stored
    const refused = refusalFrame(e)
    if (refused) {
      sink.send(refused)
      return false
    }
    const err = e as { name?: string; code?: string; message?: string }
    const code = err?.name === 'AgentTurnError' && AGENT_CODES.has(String(err.code)) ? String(err.code) : 'AGENT_ERROR'
    sink.send({ type: 'error', message: err?.message || 'The agent failed to answer', code })
    return false
  } finally {
    if (timer) clearTimeout(timer)
  }
}
