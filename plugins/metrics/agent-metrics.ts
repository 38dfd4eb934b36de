/**
 * The contract's agent, LLM, token and tool metrics (GATEWAY.md §6), counted from the event bus:
 * `agent_start`, `llm_request`, `agent_end`, `tool_call` and `error` carry everything they need.
 * Label values come from plugins and model names, so each metric keeps at most MAX_SERIES label
 * sets and folds the rest into `other`: a stream of odd tool or model names cannot grow a scrape
 * without bound.
 *
 * `llm_request` is emitted before the call, so its `success` is decided by what follows in that
 * session: the next request or the turn's end (true), or the runtime's error (false).
 */
import type { AnyEvent } from '@revka/plugin-sdk'
import type { Registry } from 'prom-client'

type Prom = typeof import('prom-client')

export const MAX_SERIES = 256
const MAX_LABEL = 64
/** sessions with an LLM request awaiting its outcome */
const MAX_PENDING = 1024
const DURATION_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]
const TOOL_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60]

/** Folds label sets past MAX_SERIES into `other`, per metric. */
class SeriesCap {
  private seen = new Set<string>()
  labels<T extends Record<string, string>>(l: T): T {
    const clean = Object.fromEntries(Object.entries(l).map(([k, v]) => [k, String(v ?? 'unknown').slice(0, MAX_LABEL) || 'unknown'])) as T
    const key = JSON.stringify(clean)
    if (this.seen.has(key)) return clean
    if (this.seen.size < MAX_SERIES) {
      this.seen.add(key)
      return clean
    }
    return Object.fromEntries(Object.keys(clean).map((k) => [k, 'other'])) as T
  }
}

export interface AgentMetrics {
  observe(e: AnyEvent): void
}

export function createAgentMetrics(prom: Prom, registry: Registry): AgentMetrics {
  const reg = { registers: [registry] }
  const pm = ['provider', 'model'] as const
  const starts = new prom.Counter({ name: 'revka_agent_starts_total', help: 'Agent turns started', labelNames: pm, ...reg })
  const duration = new prom.Histogram({ name: 'revka_agent_duration_seconds', help: 'Agent turn duration', labelNames: pm, buckets: DURATION_BUCKETS, ...reg })
  const llm = new prom.Counter({ name: 'revka_llm_requests_total', help: 'Model requests, by outcome', labelNames: [...pm, 'success'], ...reg })
  const tokensIn = new prom.Counter({ name: 'revka_tokens_input_total', help: 'Input tokens used by agent turns', labelNames: pm, ...reg })
  const tokensOut = new prom.Counter({ name: 'revka_tokens_output_total', help: 'Output tokens used by agent turns', labelNames: pm, ...reg })
  const tools = new prom.Counter({ name: 'revka_tool_calls_total', help: 'Agent tool calls, by outcome', labelNames: ['tool', 'success'], ...reg })
  const toolTime = new prom.Histogram({
    name: 'revka_tool_duration_seconds',
    help: 'Agent tool call duration',
    labelNames: ['tool'],
    buckets: TOOL_BUCKETS,
    ...reg,
  })
  const errors = new prom.Counter({ name: 'revka_errors_total', help: 'Errors reported on the event bus, by component', labelNames: ['component'], ...reg })
  const lastTokens = new prom.Gauge({ name: 'revka_tokens_used_last', help: 'Tokens used by the last finished agent turn', ...reg })
  const active = new prom.Gauge({ name: 'revka_active_sessions', help: 'Agent turns running now', ...reg })
  const caps = new Map<unknown, SeriesCap>()
  const cap = (m: unknown) => {
    let c = caps.get(m)
    if (!c) caps.set(m, (c = new SeriesCap()))
    return c
  }
  const pending = new Map<string, { provider: string; model: string }>()
  let running = 0

  const settle = (session: string, success: boolean) => {
    const p = pending.get(session)
    if (!p) return
    pending.delete(session)
    llm.inc(cap(llm).labels({ ...p, success: String(success) }))
  }

  return {
    observe(e) {
      const f = e as Record<string, any>
      const session = typeof f.session_id === 'string' ? f.session_id : ''
      switch (e.type) {
        case 'agent_start':
          starts.inc(cap(starts).labels({ provider: f.provider, model: f.model }))
          running++
          active.set(running)
          break
        case 'llm_request':
          settle(session, true)
          if (pending.size >= MAX_PENDING) pending.delete(pending.keys().next().value as string)
          pending.set(session, { provider: f.provider, model: f.model })
          break
        case 'agent_end': {
          settle(session, true)
          const l = { provider: f.provider, model: f.model }
          duration.observe(cap(duration).labels(l), Math.max(0, Number(f.duration_ms) || 0) / 1000)
          tokensIn.inc(cap(tokensIn).labels(l), Math.max(0, Number(f.input_tokens) || 0))
          tokensOut.inc(cap(tokensOut).labels(l), Math.max(0, Number(f.output_tokens) || 0))
          lastTokens.set(Math.max(0, Number(f.tokens_used) || 0))
          running = Math.max(0, running - 1)
          active.set(running)
          break
        }
        case 'tool_call':
          tools.inc(cap(tools).labels({ tool: f.tool, success: String(f.success === true) }))
          toolTime.observe(cap(toolTime).labels({ tool: f.tool }), Math.max(0, Number(f.duration_ms) || 0) / 1000)
          break
        case 'error':
          errors.inc(cap(errors).labels({ component: f.component }))
          // the runtime's error ends its turn without an agent_end
          if (f.component === 'agent_runtime') {
            settle(session, false)
            running = Math.max(0, running - 1)
            active.set(running)
          }
          break
      }
    },
  }
}
