/**
 * Cost arithmetic for `GET /api/cost` (contract §1.8). As in the reference, `session_*`,
 * `total_tokens`, `request_count` and the `by_*` breakdowns cover this gateway run, while the daily
 * and monthly figures (UTC) come from the whole ledger, so they survive restarts. Only per-day and
 * per-month sums are kept for past records: memory does not grow with the ledger.
 */
import type { CostRecord } from './ledger.js'

export interface Stats {
  cost_usd: number
  total_tokens: number
  request_count: number
}

export interface BudgetConfig {
  enabled: boolean
  daily_limit_usd: number
  monthly_limit_usd: number
  warn_at_percent: number
}

const DEFAULT_DAILY = 10
const DEFAULT_MONTHLY = 100
const DEFAULT_WARN = 80

const day = (iso: string) => iso.slice(0, 10)
const month = (iso: string) => iso.slice(0, 7)
/** money and percentages without float dust */
export const round = (n: number, digits = 8) => Math.round(n * 10 ** digits) / 10 ** digits

function bump<K extends string>(map: Map<string, Stats & Record<K, string>>, key: string, base: Record<K, string>, r: CostRecord): void {
  let s = map.get(key)
  if (!s) map.set(key, (s = { ...base, cost_usd: 0, total_tokens: 0, request_count: 0 } as Stats & Record<K, string>))
  s.cost_usd += r.cost_usd
  s.total_tokens += r.total_tokens
  s.request_count += 1
}

function plain<T extends Stats>(map: Map<string, T>): Record<string, T> {
  const out: Record<string, T> = {}
  for (const [k, v] of map) out[k] = { ...v, cost_usd: round(v.cost_usd) }
  return out
}

/** Reads `[cost]` from config.toml; anything malformed falls back to the default. */
export function budgetConfig(section: Record<string, unknown> | undefined): BudgetConfig {
  const s = section ?? {}
  const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : d)
  const limitGiven = s.daily_limit_usd !== undefined || s.monthly_limit_usd !== undefined
  return {
    enabled: typeof s.enabled === 'boolean' ? s.enabled : limitGiven,
    daily_limit_usd: num(s.daily_limit_usd, DEFAULT_DAILY),
    monthly_limit_usd: num(s.monthly_limit_usd, DEFAULT_MONTHLY),
    warn_at_percent: num(s.warn_at_percent, DEFAULT_WARN),
  }
}

export class CostTotals {
  private readonly byDay = new Map<string, number>()
  private readonly byMonth = new Map<string, number>()
  private readonly session: Stats = { cost_usd: 0, total_tokens: 0, request_count: 0 }
  private readonly byModel = new Map<string, Stats & { model: string }>()
  private readonly byAgent = new Map<string, Stats & { agent_id: string; agent_title: string }>()
  private readonly bySource = new Map<string, Stats & { source: string }>()

  /** a record from the ledger of an earlier run */
  addPast(r: CostRecord): void {
    this.byDay.set(day(r.timestamp), (this.byDay.get(day(r.timestamp)) ?? 0) + r.cost_usd)
    this.byMonth.set(month(r.timestamp), (this.byMonth.get(month(r.timestamp)) ?? 0) + r.cost_usd)
  }

  /** a record made during this run */
  add(r: CostRecord): void {
    this.addPast(r)
    this.session.cost_usd += r.cost_usd
    this.session.total_tokens += r.total_tokens
    this.session.request_count += 1
    bump(this.byModel, r.model, { model: r.model }, r)
    bump(this.bySource, r.source, { source: r.source }, r)
    if (r.agent_id) {
      bump(this.byAgent, r.agent_id, { agent_id: r.agent_id, agent_title: r.agent_title ?? r.agent_id }, r)
      if (r.agent_title) this.byAgent.get(r.agent_id)!.agent_title = r.agent_title
    }
  }

  summary(now: Date, budget: BudgetConfig): Record<string, unknown> {
    const iso = now.toISOString()
    return summaryDoc(
      {
        session: this.session,
        daily: this.byDay.get(day(iso)) ?? 0,
        monthly: this.byMonth.get(month(iso)) ?? 0,
        byModel: plain(this.byModel),
        byAgent: plain(this.byAgent),
        bySource: plain(this.bySource),
      },
      budget,
    )
  }
}

/** The figures a summary is made of, from memory (one node) or from PostgreSQL (the cluster). */
export interface SummaryParts {
  session: Stats
  daily: number
  monthly: number
  byModel: Record<string, Stats & { model: string }>
  byAgent: Record<string, Stats & { agent_id: string; agent_title: string }>
  bySource: Record<string, Stats & { source: string }>
}

/** `{cost}` of `GET /api/cost` (contract §1.8): the figures, and the budget state they put it in. */
export function summaryDoc(p: SummaryParts, budget: BudgetConfig): Record<string, unknown> {
  const pct = (cost: number, limit: number) => (limit > 0 ? round((cost / limit) * 100, 2) : 0)
  const dailyPct = pct(p.daily, budget.daily_limit_usd)
  const monthlyPct = pct(p.monthly, budget.monthly_limit_usd)
  const worst = Math.max(dailyPct, monthlyPct)
  const state = !budget.enabled ? 'disabled' : worst >= 100 ? 'exceeded' : worst >= budget.warn_at_percent ? 'warning' : 'ok'
  return {
    session_cost_usd: round(p.session.cost_usd),
    daily_cost_usd: round(p.daily),
    monthly_cost_usd: round(p.monthly),
    total_tokens: p.session.total_tokens,
    request_count: p.session.request_count,
    by_model: p.byModel,
    by_agent: p.byAgent,
    by_source: p.bySource,
    budget: {
      enabled: budget.enabled,
      daily_limit_usd: budget.daily_limit_usd,
      monthly_limit_usd: budget.monthly_limit_usd,
      warn_at_percent: budget.warn_at_percent,
      daily_remaining_usd: round(Math.max(0, budget.daily_limit_usd - p.daily)),
      monthly_remaining_usd: round(Math.max(0, budget.monthly_limit_usd - p.monthly)),
      daily_percent: dailyPct,
      monthly_percent: monthlyPct,
      state,
    },
  }
}
