/**
 * One agent turn for one chat message: persist the user message, rebuild the conversation from the
 * session's history (attachments resolved again, so a file stays visible in later turns), run it
 * through the agent runtime while relaying its events as frames, and end with exactly one of
 * `done`, `stopped` or `error`.
 */
import type { AgentRuntimeService, ChatMessage, TurnEvent } from '@revka/plugin-sdk'
import type { AttachmentFiles } from './attachments/files.js'
import { userContent } from './attachments/resolve.js'
import type { SessionStore } from './session-store.js'

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
  /** chat's own turn timeout in seconds (option), else the runtime's */
  turnTimeoutSecs?: number
}

export const STEERING_PREFIX = '[Steering note during active turn]\n'
const AGENT_CODES = new Set(['PROVIDER_ERROR', 'AGENT_ERROR', 'AUTH_ERROR'])

/** Dashboard pages that give the model a hint about what the user is looking at. */
const PAGE_HINTS: Record<string, string> = {
  agent_pool: 'The user is on the Agent Pool page of the dashboard (their saved agents).',
  agent_teams: 'The user is on the Agent Teams page of the dashboard (teams of agents).',
  skills: 'The user is on the Skills page of the dashboard (reusable skills).',
  workflows: 'The user is on the Workflows page of the dashboard (multi-step workflows).',
  canvas: 'The user is on the Canvas page of the dashboard (a shared visual canvas).',
}

async function conversation(deps: TurnDeps, sid: string, job: TurnJob): Promise<ChatMessage[]> {
  const images = deps.runtime.supportsImages()
  const history = deps.store.messages(sid, deps.historyLimit)
  const out: ChatMessage[] = []
  for (let i = 0; i < history.length; i++) {
    const m = history[i]
    let text = m.content
    if (i === history.length - 1 && m.role === 'user' && job.pageContext && PAGE_HINTS[job.pageContext]) {
      text = `[${PAGE_HINTS[job.pageContext]}]\n\n${text}`
    }
    const content = m.role === 'user' ? await userContent(deps.files, sid, text, m.attachments, images) : text
    out.push({ role: m.role, content })
  }
  return out
}

function frameOf(e: TurnEvent): Record<string, unknown> | null {
  switch (e.type) {
    case 'chunk': return { type: 'chunk', content: e.content }
    case 'thinking': return { type: 'thinking', content: e.content }
    case 'tool_call': return { type: 'tool_call', name: e.name, args: e.args }
    case 'tool_result': return { type: 'tool_result', name: e.name, output: e.output }
    case 'status': return { type: 'operator_status', phase: e.phase, detail: e.detail ?? '' }
    default: return null
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
  const timer = timeoutMs ? setTimeout(() => { turn.reason ??= 'timeout'; turn.abort.abort(new Error('turn timed out')) }, timeoutMs) : null
  const elapsedSecs = () => (deps.turnTimeoutSecs ?? Math.max(1, Math.round((Date.now() - started) / 1000)))
  const ended = (): boolean => {
    if (turn.reason === 'timeout') sink.send({ type: 'stopped', message: timeoutMessage(elapsedSecs()) })
    else sink.send({ type: 'stopped', message: 'Stopped current Operator turn.' })
    return true
  }
  try {
    deps.store.append(sid, 'user', job.content, job.attachments)
    const messages = await conversation(deps, sid, job)
    if (turn.abort.signal.aborted) return ended()
    const result = await deps.runtime.runTurn({
      sessionId: sid,
      messages,
      signal: turn.abort.signal,
      takeSteering: () => turn.steering.splice(0),
      source: 'ws_chat',
      timeoutMs,
    }, (e) => {
      const frame = frameOf(e)
      if (frame && !turn.abort.signal.aborted) sink.send(frame)
    })
    if (result.timedOut && !turn.reason) turn.reason = 'timeout'
    if (turn.reason || result.stopped || result.timedOut) return ended()
    // persisted before `done`: `done` acknowledges the reply, and a crash between the two used to
    // lose an acknowledged answer (found by test/reliability/crash.consistency.test.ts)
    if (deps.store.open) deps.store.append(sid, 'assistant', result.content)
    sink.send({ type: 'chunk_reset' })
    sink.send({ type: 'done', full_response: result.content })
    return true
  } catch (e) {
    if (turn.abort.signal.aborted) return ended()
    const err = e as { name?: string; code?: string; message?: string }
    const code = err?.name === 'AgentTurnError' && AGENT_CODES.has(String(err.code)) ? String(err.code) : 'AGENT_ERROR'
    sink.send({ type: 'error', message: err?.message || 'The agent failed to answer', code })
    return false
  } finally {
    if (timer) clearTimeout(timer)
  }
}
