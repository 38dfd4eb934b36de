/**
 * One attempt at a webhook delivery, shared by the single-node worker (journal on disk) and the
 * cluster worker (shared queue): run the agent turn unless an earlier attempt saved its reply,
 * record it in the conversation history, save the reply, then send it through the provider.
 */
import type { PluginApi } from '../define.js'
import { AgentRuntimeRef } from '../agent.js'
import type { HistoryStore } from './history.js'
import type { ChannelMessage, WebhookProvider } from './provider.js'

/** how long one send to the provider API may take before it counts as failed */
export const SEND_TIMEOUT_MS = 30_000

export interface AttemptContext {
  api: PluginApi<any>
  p: WebhookProvider<any>
  history: HistoryStore
  /** aborted when the worker stops */
  signal: AbortSignal
  stopped(): boolean
}

/**
 * Throws when the turn or the send failed; resolves false when the worker stopped during the turn
 * (the delivery stays pending and runs again), true when the reply went out.
 */
export async function turnAndSend(
  c: AttemptContext,
  d: { id: string; message: ChannelMessage; reply?: string },
  saveReply: (text: string) => void | Promise<void>,
): Promise<boolean> {
  const { api, p } = c
  const m = d.message
  let text = d.reply
  if (text === undefined) {
    const sessionId = `${m.channel}_${m.thread ? `${m.thread}_` : ''}${m.sender}`
    const result = await api.services.get(AgentRuntimeRef).runTurn(
      {
        sessionId,
        // the conversation so far with this contact (in this thread), then the new message
        messages: [...(await c.history.messages(sessionId, d.id)), { role: 'user', content: m.text }],
        signal: c.signal,
        source: m.channel,
      },
      () => {},
    )
    if (c.stopped()) return false // the turn may have been cut short: run it again at the next start
    if (result.stopped || result.timedOut) throw new Error(result.timedOut ? 'agent turn timed out' : 'agent turn was stopped')
    text = result.content
    // before the reply is saved: a crash in between runs the turn again, and the history
    // (keyed by delivery) records it once
    await c.history.record(sessionId, d.id, m.text, text)
    await saveReply(text)
  }
  if (text.trim()) {
    const signal = AbortSignal.any([c.signal, AbortSignal.timeout(SEND_TIMEOUT_MS)])
    await p.send(m, text, { options: api.config as Record<string, unknown>, signal, env: (name: string) => api.gateway.env(name) })
  }
  return true
}
