/**
 * The mock agent runtime as a plugin: provides `agent-runtime`, records each turn in the test's
 * recorder and answers with its scripted reply, emitting `agent_start`/`agent_end` like the real
 * runtime so event-driven plugins and the event sink see the turn.
 */
import { AgentRuntimeRef, definePlugin, type AgentRuntimeService, type ChatMessage } from '@revka/plugin-sdk'
import { mockAgentRecorder } from '../mock-agent.js'

const PROVIDER = 'mock'
const MODEL = 'mock-model'

function textOf(m: ChatMessage | undefined): string {
  if (!m) return ''
  if (typeof m.content === 'string') return m.content
  return m.content.map((p) => ('text' in p && typeof p.text === 'string' ? p.text : '')).join('')
}

export default definePlugin<{ harness_id: string }>({
  setup(api) {
    const rec = mockAgentRecorder(api.config.harness_id)
    const runtime: AgentRuntimeService = {
      provider: PROVIDER,
      model: MODEL,
      temperature: 0,
      supportsImages: () => false,
      async runTurn(req, onEvent) {
        const started = Date.now()
        const { signal: _signal, takeSteering: _steer, ...request } = req
        const lastUser = [...req.messages].reverse().find((m) => m.role === 'user')
        const turn = { sessionId: req.sessionId, source: req.source, text: textOf(lastUser), request }
        rec.record(turn)
        api.events.emit('agent_start', { provider: PROVIDER, model: req.model ?? MODEL, session_id: req.sessionId })
        const content = req.signal.aborted ? '' : typeof rec.reply === 'string' ? rec.reply : await rec.reply(turn)
        if (content) onEvent({ type: 'chunk', content })
        const duration_ms = Date.now() - started
        api.events.emit('agent_end', {
          provider: PROVIDER,
          model: req.model ?? MODEL,
          duration_ms,
          tokens_used: 0,
          cost_usd: 0,
          session_id: req.sessionId,
          source: req.source,
        })
        return {
          content,
          provider: PROVIDER,
          model: req.model ?? MODEL,
          usage: { input_tokens: 0, output_tokens: 0 },
          cost_usd: 0,
          duration_ms,
          stopped: req.signal.aborted,
          timedOut: false,
          messages: content ? [{ role: 'assistant', content }] : [],
        }
      },
    }
    api.services.provide(AgentRuntimeRef, runtime)
  },
})
