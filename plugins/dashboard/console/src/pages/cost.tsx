/**
 * Cost: totals and budget from `/api/cost`, the split by model and by source, and a chart over time.
 * `/api/cost` has totals only, so the time line is built from the `agent_end` events (each carries
 * its model, source, tokens and cost): the bus's replay buffer first (`last_event_id=0`), then live.
 */
import { useState } from 'preact/hooks'
import { BarChart, LineChart, type Series } from '../chart.js'
import { useStream } from '../sse.js'
import { ErrorBox, Page, useFetch } from '../ui.js'

interface Stats {
  cost_usd: number
  total_tokens: number
  request_count: number
}
interface Cost {
  session_cost_usd: number
  daily_cost_usd: number
  monthly_cost_usd: number
  total_tokens: number
  request_count: number
  by_model: Record<string, Stats>
  by_source: Record<string, Stats>
  budget: { enabled: boolean; daily_limit_usd: number; monthly_limit_usd: number; daily_percent: number; monthly_percent: number; state: string }
}
interface Usage {
  t: number
  model: string
  source: string
  tokens: number
  cost: number
}
type Metric = 'cost' | 'tokens'

const usd = (v: number) => `$${v < 0.01 && v > 0 ? v.toFixed(4) : v.toFixed(2)}`
const tokens = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : String(Math.round(v)))
const KEEP = 5000

function cumulative(usages: Usage[], by: 'model' | 'source', metric: Metric): Series[] {
  const series = new Map<string, Series>()
  for (const u of usages) {
    const key = u[by]
    let s = series.get(key)
    if (!s) series.set(key, (s = { name: key, points: [] }))
    const prev = s.points[s.points.length - 1]?.v ?? 0
    s.points.push({ t: u.t, v: prev + (metric === 'cost' ? u.cost : u.tokens) })
  }
  return [...series.values()]
}

export function Cost() {
  const summary = useFetch<{ cost: Cost }>('/api/cost', 10000)
  const [usages, setUsages] = useState<Usage[]>([])
  const [by, setBy] = useState<'model' | 'source'>('model')
  const [metricChoice, setMetric] = useState<Metric | null>(null)
  useStream('/api/events', { types: 'agent_end', last_event_id: '0' }, (e) => {
    if (e.type !== 'agent_end') return
    const u: Usage = {
      t: Date.parse(e.timestamp) || Date.now(),
      model: String(e.model ?? 'unknown'),
      source: String(e.source ?? 'agent'),
      tokens: Number(e.tokens_used) || 0,
      cost: Number(e.cost_usd) || 0,
    }
    setUsages((old) => [...old, u].slice(-KEEP))
    summary.reload()
  })
  const c = summary.data?.cost
  // tokens when nothing cost money yet (the offline responder is free)
  const metric: Metric = metricChoice ?? (c && c.session_cost_usd > 0 ? 'cost' : 'tokens')
  const fmt = metric === 'cost' ? usd : tokens
  const bars = (m: Record<string, Stats> | undefined) =>
    Object.entries(m ?? {})
      .map(([name, s]) => ({ name, v: metric === 'cost' ? s.cost_usd : s.total_tokens }))
      .sort((a, b) => b.v - a.v)

  return (
    <Page title="Cost">
      {summary.error ? <ErrorBox error={summary.error} /> : null}
      {c && (
        <dl class="facts">
          <div>
            <dt>This run</dt>
            <dd>{usd(c.session_cost_usd)}</dd>
          </div>
          <div>
            <dt>Today</dt>
            <dd>
              {usd(c.daily_cost_usd)}
              {c.budget.enabled ? ` of ${usd(c.budget.daily_limit_usd)}` : ''}
            </dd>
          </div>
          <div>
            <dt>This month</dt>
            <dd>
              {usd(c.monthly_cost_usd)}
              {c.budget.enabled ? ` of ${usd(c.budget.monthly_limit_usd)}` : ''}
            </dd>
          </div>
          <div>
            <dt>Tokens</dt>
            <dd>{tokens(c.total_tokens)}</dd>
          </div>
          <div>
            <dt>Requests</dt>
            <dd>{c.request_count}</dd>
          </div>
          <div>
            <dt>Budget</dt>
            <dd class={`state state-${c.budget.state}`}>{c.budget.state}</dd>
          </div>
        </dl>
      )}
      <div class="filters" role="group" aria-label="Chart options">
        <label>
          Show
          <select value={metric} onChange={(e) => setMetric((e.target as HTMLSelectElement).value as Metric)}>
            <option value="cost">cost (USD)</option>
            <option value="tokens">tokens</option>
          </select>
        </label>
        <label>
          Split by
          <select value={by} onChange={(e) => setBy((e.target as HTMLSelectElement).value as 'model' | 'source')}>
            <option value="model">model</option>
            <option value="source">source</option>
          </select>
        </label>
      </div>
      <h2>Over time, by {by}</h2>
      <p class="muted">Since the oldest turn the gateway still remembers ({usages.length} turns), updated live.</p>
      <LineChart series={cumulative(usages, by, metric)} format={fmt} label={`Cumulative ${metric} over time by ${by}`} />
      <h2>By model (this run)</h2>
      <BarChart rows={bars(c?.by_model)} format={fmt} label={`${metric} by model`} />
      <h2>By source (this run)</h2>
      <BarChart rows={bars(c?.by_source)} format={fmt} label={`${metric} by source`} />
    </Page>
  )
}
