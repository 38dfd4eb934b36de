/**
 * Test fixture: an `agent-runtime` whose behaviour the user's message scripts, so chat tests can
 * make a turn slow, fail in a chosen way, time out or show exactly what it received.
 *
 *   slow <n>        n chunks 40 ms apart; steering notes come back as `[steered: …]` chunks
 *   hang            waits until stopped (for chat's own turn timeout)
 *   timeout         returns `timedOut: true` after 50 ms, as a runtime deadline would
 *   fail <code>     throws AgentTurnError(<code>), or a plain Error for `fail crash`
 *   events          one of each event type, then a reply
 *   echo            replies with the JSON of the messages it was given
 *   anything else   `ok: <text>` in two chunks
 */
import {
  AgentTurnError,
  definePlugin,
  AgentRuntimeRef,
  type AgentRuntimeService,
  type ChatMessage,
  type TurnEvent,
  type TurnRequest,
  type TurnResult,
} from '@revka/plugin-sdk'

function lastUserText(messages: ChatMessage[]): string {
  const last = [...messages].reverse().find((m) => m.role === 'user')
  if (!last) return ''
  const text = typeof last.content === 'string' ? last.content : last.content.find((p) => p.type === 'text')
  const t = typeof text === 'string' ? text : text && 'text' in text ? text.text : ''
  // page hints are prepended as a bracketed paragraph: script on what the user typed
  return t.replace(/^\[[^\]]*\]\n\n/, '').trim()
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })

export default definePlugin<{ images?: boolean }>({
  setup(api) {
    const result = (content: string, started: number, extra: Partial<TurnResult> = {}): TurnResult => ({
      content,
      provider: 'scripted',
      model: 'script-1',
      usage: { input_tokens: 3, output_tokens: 5 },
      cost_usd: 0.001,
      duration_ms: Date.now() - started,
      stopped: false,
      timedOut: false,
      messages: [{ role: 'assistant', content }],
      ...extra,
    })
    const runtime: AgentRuntimeService = {
      provider: 'scripted',
      model: 'script-1',
      temperature: 0,
      supportsImages: () => api.config.images === true,
      async runTurn(req: TurnRequest, onEvent: (e: TurnEvent) => void): Promise<TurnResult> {
        const started = Date.now()
        const text = lastUserText(req.messages)
        const [cmd, arg] = text.split(/\s+/, 2)
        if (cmd === 'fail') {
          if (arg === 'crash') throw new Error('the fixture crashed')
          throw new AgentTurnError(arg as any, `scripted ${arg}`)
        }
        if (cmd === 'slow') {
          let out = ''
          for (let i = 0; i < Number(arg || 10); i++) {
            await sleep(40, req.signal)
            if (req.signal.aborted) return result(out, started, { stopped: true })
            for (const note of req.takeSteering?.() ?? []) {
              onEvent({ type: 'chunk', content: `[steered: ${note}]` })
              out += `[steered: ${note}]`
            }
            onEvent({ type: 'chunk', content: `c${i} ` })
            out += `c${i} `
          }
          return result(out, started)
        }
        if (cmd === 'hang') {
          await new Promise<void>((resolve) => req.signal.addEventListener('abort', () => resolve(), { once: true }))
          return result('', started, { stopped: true })
        }
        if (cmd === 'timeout') {
          await sleep(50, req.signal)
          return result('', started, { timedOut: true })
        }
        if (cmd === 'events') {
          onEvent({ type: 'thinking', content: 'pondering' })
          onEvent({ type: 'status', phase: 'tooling', detail: 'calling a tool' })
          onEvent({ type: 'tool_call', id: 't1', name: 'shout', args: { text: 'hi' } })
          onEvent({ type: 'tool_result', id: 't1', name: 'shout', output: 'HI', success: true })
          onEvent({ type: 'chunk', content: 'all events' })
          return result('all events', started)
        }
        if (cmd === 'echo') {
          const json = JSON.stringify(req.messages)
          onEvent({ type: 'chunk', content: json })
          return result(json, started)
        }
        onEvent({ type: 'chunk', content: 'ok: ' })
        onEvent({ type: 'chunk', content: text })
        return result(`ok: ${text}`, started)
      },
    }
    api.services.provide(AgentRuntimeRef, runtime)
  },
})
