/**
 * cost — the cost ledger. Every `agent_end` on the event bus and every usage report a local
 * service posts is appended (and fsynced) to `<state>/plugins/cost/costs.jsonl` (the plugin's private
 * folder: the served workspace never holds it); `GET /api/cost`
 * summarises it against the `[cost]` budget in config.toml. The ledger is read back at start, so
 * daily and monthly totals survive restarts.
 *
 * In cluster mode (the kernel lends `shared-sql`) the ledger is PostgreSQL's instead
 * (shared-ledger.ts): every node appends there and summarises the whole cluster's spending.
 */
import { join } from 'node:path'
import { definePlugin, httpError, KernelServices, type AnyEvent, type EventFields, type RevkaRequest } from '@revka/plugin-sdk'
import { LedgerWriter, readLedger, type CostRecord } from './ledger.js'
import { SharedLedger } from './shared-ledger.js'
import { budgetConfig, CostTotals } from './totals.js'

const TEXT_MAX = 200

function text(v: unknown, field: string, required = false): string | undefined {
  if (v === undefined || v === null || (!required && v === '')) return undefined
  if (typeof v !== 'string') throw httpError(400, 'invalid_usage', `${field} must be a string`)
  const t = v.trim()
  if (!t) return undefined
  if (t.length > TEXT_MAX) throw httpError(400, 'invalid_usage', `${field} is longer than ${TEXT_MAX} characters`)
  return t
}

function count(v: unknown, field: string): number {
  if (v === undefined || v === null) return 0
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw httpError(400, 'invalid_usage', `${field} must be a non-negative number`)
  return field.endsWith('_tokens') ? Math.round(v) : v
}

/** `POST /api/cost/usage` body → a ledger record (400 on anything malformed). */
function usageRecord(body: unknown): CostRecord {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw httpError(400, 'invalid_usage', 'Send a JSON object: {model, provider?, input_tokens?, output_tokens?, cost_usd?, source?, agent_id?, agent_title?}')
  const b = body as Record<string, unknown>
  const model = text(b.model, 'model', true)
  if (!model) throw httpError(400, 'model_required', 'model must be a non-empty string')
  const input = count(b.input_tokens, 'input_tokens')
  const output = count(b.output_tokens, 'output_tokens')
  const rec: CostRecord = {
    timestamp: new Date().toISOString(),
    model,
    provider: text(b.provider, 'provider') ?? 'unknown',
    input_tokens: input,
    output_tokens: output,
    total_tokens: input + output,
    cost_usd: count(b.cost_usd, 'cost_usd'),
    source: text(b.source, 'source') ?? 'external',
  }
  const agentId = text(b.agent_id, 'agent_id')
  const agentTitle = text(b.agent_title, 'agent_title')
  if (agentId) rec.agent_id = agentId
  if (agentTitle) rec.agent_title = agentTitle
  return rec
}

function agentEndRecord(e: AnyEvent & EventFields['agent_end']): CostRecord {
  const input = Number(e.input_tokens) || 0
  const output = Number(e.output_tokens) || 0
  const rec: CostRecord = {
    timestamp: typeof e.timestamp === 'string' ? e.timestamp : new Date().toISOString(),
    model: String(e.model || 'unknown'),
    provider: String(e.provider || 'unknown'),
    input_tokens: input,
    output_tokens: output,
    total_tokens: Number.isFinite(e.tokens_used) ? e.tokens_used : input + output,
    cost_usd: Number.isFinite(e.cost_usd) && e.cost_usd > 0 ? e.cost_usd : 0,
    source: String(e.source || 'agent'),
  }
  if (e.session_id) rec.session_id = String(e.session_id)
  return rec
}

export default definePlugin({
  async setup(api) {
    const sql = api.services.find(KernelServices.sharedSql)
    const shared = sql ? new SharedLedger(sql) : null
    if (shared) await shared.open()
    const path = join(api.store.dir, 'costs.jsonl')
    const totals = new CostTotals()
    let writer: LedgerWriter | null = null
    // appends wait for the ledger to be read back and opened (events can arrive before start ends)
    let opened!: (w: LedgerWriter) => void
    const ready = new Promise<LedgerWriter>((resolve) => {
      opened = resolve
    })

    const persist = async (rec: CostRecord) => (await ready).append(rec)

    api.events.subscribe((e) => {
      if (e.type !== 'agent_end') return
      const rec = agentEndRecord(e as AnyEvent & EventFields['agent_end'])
      if (shared) return shared.appendOrKeep(rec, `${e.id}@${e.timestamp}`, api.log)
      totals.add(rec)
      persist(rec).catch((err) => api.log.error({ err: (err as Error).message, model: rec.model }, 'REVKA_ERR_COST_LEDGER: could not append an agent_end cost'))
    })

    api.routes.add({
      method: 'POST',
      url: '/api/cost/usage',
      auth: 'service',
      description: 'record external usage (local services, with the service token)',
      handler: async (req: RevkaRequest<unknown>) => {
        const rec = usageRecord(req.body)
        // a lost PostgreSQL answers 503 cluster_unavailable itself: the caller retries
        if (shared) return shared.append(rec).then(() => ({ recorded: true, usage: rec }))
        try {
          await persist(rec)
        } catch (err) {
          api.log.error({ err: (err as Error).message }, 'REVKA_ERR_COST_LEDGER: could not append a usage record')
          throw httpError(503, 'ledger_unavailable', 'The cost ledger could not be written', {
            retryAfter: 5,
            extra: { recorded: false, reason: 'ledger_write_failed' },
          })
        }
        totals.add(rec)
        return { recorded: true, usage: rec }
      },
    })

    api.routes.add({
      method: 'GET',
      url: '/api/cost',
      auth: 'bearer',
      description: 'cost summary and budget (contract §1.8)',
      handler: async () => {
        const budget = budgetConfig(api.gateway.section('cost'))
        return { cost: shared ? await shared.summary(new Date(), budget) : totals.summary(new Date(), budget) }
      },
    })

    api.onStart(async () => {
      if (shared) return
      const report = await readLedger(path, (r) => totals.addPast(r))
      if (report.skipped || report.tornBytes) {
        api.log.warn({ ...report, path }, 'cost ledger: skipped malformed lines and trimmed a torn last line (an interrupted write)')
      }
      writer = await LedgerWriter.open(path)
      opened(writer)
    })

    api.onStop(async () => {
      await shared?.close()
      await writer?.close()
      writer = null
    })
  },
})
