/**
 * A stand-in agent runtime for plugin tests: it records every turn a plugin asks for and answers
 * with a scripted reply, instantly and offline. `startTestKernel({ mockAgent: true })` enables it as
 * the `agent-runtime` service (in place of the real runtime).
 *
 * The runtime itself is a small plugin folder beside this file (the kernel loads plugins only from
 * folders, possibly through jiti as a separate module copy), so the test's recorder reaches it
 * through a process-wide registry keyed by an id passed in the plugin's options.
 */
import { randomUUID } from 'node:crypto'
import type { TurnRequest } from '@revka/plugin-sdk'

/** One turn a plugin asked the runtime for. */
export interface RecordedTurn {
  sessionId: string
  source?: string
  /** the last user message's text */
  text: string
  /** the whole request as the plugin sent it (without its AbortSignal) */
  request: Omit<TurnRequest, 'signal' | 'takeSteering'>
}

/** How the mock answers: a fixed text, or computed from the turn. Default: `echo: <text>`. */
export type MockReply = string | ((turn: RecordedTurn) => string | Promise<string>)

/** `k.agent` when the test kernel runs the mock agent runtime. */
export interface MockAgent {
  /** every turn so far, oldest first */
  readonly turns: RecordedTurn[]
  /** change the reply for the turns that follow */
  reply: MockReply
  /** resolves once `count` turns have been recorded; rejects after `timeoutMs` (default 5000) */
  waitForTurns(count: number, timeoutMs?: number): Promise<RecordedTurn[]>
}

/** Where the mock plugin finds its test's recorder (survives separate module copies). */
const REGISTRY = Symbol.for('revka.plugin-testing.mock-agents')
/** The mock runtime's plugin id; it provides the `agent-runtime` service. */
export const MOCK_AGENT_PLUGIN = 'mock-agent-runtime'

interface Recorder extends MockAgent {
  record(turn: RecordedTurn): void
}

function registry(): Map<string, Recorder> {
  const g = globalThis as { [REGISTRY]?: Map<string, Recorder> }
  return (g[REGISTRY] ??= new Map())
}

/** A new recorder, registered under a fresh id (the mock plugin's `harness_id` option). */
export function createMockAgent(reply: MockReply = (t) => `echo: ${t.text}`): { id: string; agent: MockAgent; dispose(): void } {
  const id = randomUUID()
  const waiters = new Set<() => void>()
  const rec: Recorder = {
    turns: [],
    reply,
    record(turn) {
      rec.turns.push(turn)
      for (const w of [...waiters]) w()
    },
    waitForTurns(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (rec.turns.length < count) return
          waiters.delete(check)
          clearTimeout(timer)
          resolve(rec.turns.slice(0, count))
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`REVKA_ERR_TEST_TIMEOUT: ${rec.turns.length} of ${count} agent turns after ${timeoutMs} ms`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
  }
  registry().set(id, rec)
  return {
    id,
    agent: rec,
    dispose: () => {
      registry().delete(id)
    },
  }
}

/** The recorder for `id`, for the mock plugin; throws when the harness did not register one. */
export function mockAgentRecorder(id: string): Recorder {
  const rec = registry().get(id)
  if (!rec) throw new Error(`REVKA_ERR_TEST_MOCK: no mock agent registered as "${id}" (enable it with startTestKernel({ mockAgent: true }))`)
  return rec
}
