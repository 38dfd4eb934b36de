/**
 * The cost ledger in cluster mode (issue 18): every node appends to `cost_records` in the
 * cluster's PostgreSQL, so `GET /api/cost` on any node answers for the whole cluster and the budget
 * counts what every node spent.
 *
 * Why a per-day rollup (`cost_daily`): the daily and monthly figures are asked on every dashboard
 * poll, and summing the whole ledger each time would grow with history. Each append bumps its day's
 * row in the same transaction as the record, so the two never disagree, and a summary reads at most
 * a month of day rows. The run figures (`session_*`, `by_*`: "this gateway run", as on one node)
 * are summed over the records made since this node started — a range scan on the `recorded_at`
 * index, bounded by the node's uptime rather than by the ledger. Times are the database's clock, so
 * nodes with skewed clocks agree on the window.
 *
 * The cluster's event bus delivers every node's `agent_end` on every node, so each would record it:
 * an agent_end's record carries `event_key` (the bus id, the same on every node, and the emit time,
 * which keeps it unique across a Redis reset) under a unique index, and only the first node to
 * insert it counts it in the rollup.
 */
import { isHttpError, type SharedSqlService } from '@revka/plugin-sdk'
import type { CostRecord } from './ledger.js'
import { round, summaryDoc, type BudgetConfig, type Stats, type SummaryParts } from './totals.js'

/** agent_end records kept while PostgreSQL is away; past this the oldest are dropped (and logged) */
export const BACKLOG_MAX = 10_000
const RETRY_MS = 5_000

export const COST_MIGRATIONS = [
  {
    id: 1,
    name: 'cost_records and the per-day rollup',
    sql: `
CREATE TABLE cost_records (
  id bigserial PRIMARY KEY,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  node_id text NOT NULL,
  day text NOT NULL,
  model text NOT NULL,
  source text NOT NULL,
  agent_id text,
  agent_title text,
  cost_usd double precision NOT NULL,
  total_tokens bigint NOT NULL,
  record jsonb NOT NULL
);
CREATE INDEX cost_records_recorded_at ON cost_records (recorded_at);
CREATE TABLE cost_daily (
  day text PRIMARY KEY,
  cost_usd double precision NOT NULL,
  total_tokens bigint NOT NULL,
  request_count bigint NOT NULL
);`,
  },
  {
    id: 2,
    name: 'one record per agent_end, whichever node sees it first',
    sql: `ALTER TABLE cost_records ADD COLUMN event_key text;
CREATE UNIQUE INDEX cost_records_event_key ON cost_records (event_key);`,
  },
]

interface RunRow {
  g_model: number
  g_source: number
  g_agent: number
  model: string | null
  source: string | null
  agent_id: string | null
  agent_title: string | null
  cost_usd: number
  total_tokens: number
  request_count: number
}

export class SharedLedger {
  /** when this node's run began, on the database's clock (set by `open`) */
  private since: Date | null = null

  /** agent_end records that met a lost database (no caller to answer 503 to), retried in order */
  private backlog: Array<{ rec: CostRecord; key: string }> = []
  private retry: NodeJS.Timeout | null = null

  constructor(private readonly sql: SharedSqlService) {}

  async open(): Promise<void> {
    await this.sql.migrate('cost', COST_MIGRATIONS)
    this.since = (await this.sql.query<{ now: Date }>('SELECT now() AS now')).rows[0].now
  }

  /** the record and its day's rollup, in one transaction; an `eventKey` already recorded is skipped */
  async append(rec: CostRecord, eventKey: string | null = null): Promise<void> {
    const day = rec.timestamp.slice(0, 10)
    await this.sql.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO cost_records (node_id, day, model, source, agent_id, agent_title, cost_usd, total_tokens, record, event_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (event_key) DO NOTHING`,
        [
          this.sql.nodeId,
          day,
          rec.model,
          rec.source,
          rec.agent_id ?? null,
          rec.agent_title ?? null,
          rec.cost_usd,
          rec.total_tokens,
          JSON.stringify(rec),
          eventKey,
        ],
      )
      if (!inserted.rowCount) return
      await tx.query(
        `INSERT INTO cost_daily (day, cost_usd, total_tokens, request_count) VALUES ($1, $2, $3, 1)
         ON CONFLICT (day) DO UPDATE SET cost_usd = cost_daily.cost_usd + EXCLUDED.cost_usd,
           total_tokens = cost_daily.total_tokens + EXCLUDED.total_tokens, request_count = cost_daily.request_count + 1`,
        [day, rec.cost_usd, rec.total_tokens],
      )
    })
  }

  /**
   * An agent_end's record: appended now, or kept and retried every few seconds while PostgreSQL
   * is away, so a turn answered during an outage is still counted once the database is back.
   */
  appendOrKeep(rec: CostRecord, eventKey: string, log: { error(o: object, m: string): void }): void {
    this.backlog.push({ rec, key: eventKey })
    if (this.backlog.length > BACKLOG_MAX) {
      // the head may be in flight: drop the oldest after it
      const lost = this.backlog.splice(1, this.backlog.length - BACKLOG_MAX)
      log.error({ dropped: lost.length }, 'REVKA_ERR_COST_LEDGER: PostgreSQL has been away too long; the oldest unrecorded agent_end costs were dropped')
    }
    if (this.backlog.length === 1) void this.drain(log)
  }

  private async drain(log: { error(o: object, m: string): void }): Promise<void> {
    this.retry = null
    while (this.backlog.length) {
      try {
        await this.append(this.backlog[0].rec, this.backlog[0].key)
      } catch (err) {
        // only a lost database is worth waiting for; a record the database refuses would block the rest
        const away = isHttpError(err) && err.statusCode === 503
        log.error(
          { err: (err as Error).message, waiting: this.backlog.length, model: this.backlog[0].rec.model },
          away ? 'REVKA_ERR_COST_LEDGER: could not append an agent_end cost; retrying' : 'REVKA_ERR_COST_LEDGER: an agent_end cost was refused; dropped',
        )
        if (away) {
          this.retry = setTimeout(() => void this.drain(log), RETRY_MS).unref()
          return
        }
      }
      this.backlog.shift()
    }
  }

  close(): void {
    if (this.retry) clearTimeout(this.retry)
    this.retry = null
  }

  async summary(now: Date, budget: BudgetConfig): Promise<Record<string, unknown>> {
    const iso = now.toISOString()
    const [days, run] = await Promise.all([
      this.sql.query<{ daily: number; monthly: number }>(
        `SELECT coalesce(sum(cost_usd) FILTER (WHERE day = $1), 0)::float8 AS daily, coalesce(sum(cost_usd), 0)::float8 AS monthly
         FROM cost_daily WHERE left(day, 7) = $2`,
        [iso.slice(0, 10), iso.slice(0, 7)],
      ),
      this.sql.query<RunRow>(
        `SELECT GROUPING(model) AS g_model, GROUPING(source) AS g_source, GROUPING(agent_id) AS g_agent, model, source, agent_id,
           (array_agg(agent_title ORDER BY id DESC) FILTER (WHERE agent_title IS NOT NULL))[1] AS agent_title,
           sum(cost_usd)::float8 AS cost_usd, sum(total_tokens)::float8 AS total_tokens, count(*)::int AS request_count
         FROM cost_records WHERE recorded_at >= $1
         GROUP BY GROUPING SETS ((), (model), (source), (agent_id))`,
        [this.since ?? now],
      ),
    ])
    return summaryDoc({ ...runParts(run.rows), daily: days.rows[0].daily, monthly: days.rows[0].monthly }, budget)
  }
}

function runParts(rows: RunRow[]): Omit<SummaryParts, 'daily' | 'monthly'> {
  const parts: Omit<SummaryParts, 'daily' | 'monthly'> = {
    session: { cost_usd: 0, total_tokens: 0, request_count: 0 },
    byModel: {},
    byAgent: {},
    bySource: {},
  }
  for (const r of rows) {
    const s: Stats = { cost_usd: round(r.cost_usd), total_tokens: r.total_tokens, request_count: r.request_count }
    if (r.g_model && r.g_source && r.g_agent) parts.session = { ...s, cost_usd: r.cost_usd }
    else if (!r.g_model) parts.byModel[r.model!] = { model: r.model!, ...s }
    else if (!r.g_source) parts.bySource[r.source!] = { source: r.source!, ...s }
    else if (r.agent_id !== null) parts.byAgent[r.agent_id] = { agent_id: r.agent_id, agent_title: r.agent_title ?? r.agent_id, ...s }
  }
  return parts
}
