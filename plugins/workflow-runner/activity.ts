/**
 * Per-agent run logs (`<plugin dir>/runlogs/<agent_id>.jsonl`): every agent step appends its
 * start, tool calls and results, final message, errors and usage, and
 * `GET /api/workflows/agent-activity/{agent_id}` reads them through `agentActivity()`. An agent
 * id is `<run_id[:12]>-<step_id>`, so a run's logs are removed with the run. The id is checked
 * against a strict pattern before it becomes a file name (the reference does not). Each file is
 * capped; past the cap entries are dropped and one `truncated` entry says so.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { cut } from './redact.js'

export const LOG_CAP_BYTES = 2 * 1024 * 1024
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,150}$/
const LAST_MESSAGE_CHARS = 5000

export type LogEntry = { type: 'start' | 'tool_call' | 'tool_result' | 'message' | 'error' | 'usage' | 'truncated'; ts: string; [k: string]: unknown }
export type ActivityView = 'summary' | 'tool_calls' | 'messages' | 'errors' | 'full'

export const agentIdFor = (runId: string, stepId: string) => `${runId.slice(0, 12)}-${stepId}`

export class RunLogs {
  private readonly sizes = new Map<string, number>()
  constructor(
    private readonly dir: string,
    private readonly now: () => number,
  ) {}

  private file(agentId: string): string | null {
    return SAFE_ID.test(agentId) ? join(this.dir, `${agentId}.jsonl`) : null
  }

  append(agentId: string, entry: Omit<LogEntry, 'ts'>): void {
    const f = this.file(agentId)
    if (!f) return
    mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    const size = this.sizes.get(agentId) ?? (existsSync(f) ? statSync(f).size : 0)
    if (size >= LOG_CAP_BYTES) return
    const ts = new Date(this.now()).toISOString()
    const line = JSON.stringify({ ...entry, ts }) + '\n'
    const over = size + Buffer.byteLength(line) > LOG_CAP_BYTES
    appendFileSync(f, over ? JSON.stringify({ type: 'truncated', ts, message: `log capped at ${LOG_CAP_BYTES} bytes` }) + '\n' : line, { mode: 0o600 })
    this.sizes.set(agentId, over ? LOG_CAP_BYTES : size + Buffer.byteLength(line))
  }

  /** remove the logs of these runs */
  removeRuns(runIds: string[]): void {
    if (!runIds.length || !existsSync(this.dir)) return
    const prefixes = runIds.map((id) => `${id.slice(0, 12)}-`)
    for (const name of readdirSync(this.dir)) {
      if (prefixes.some((p) => name.startsWith(p))) {
        rmSync(join(this.dir, name), { force: true })
        this.sizes.delete(name.replace(/\.jsonl$/, ''))
      }
    }
  }

  read(agentId: string, view: ActivityView, limit: number): Record<string, unknown> | undefined {
    const f = this.file(agentId)
    if (!f || !existsSync(f)) return undefined
    const entries = readFileSync(f, 'utf8')
      .split('\n')
      .flatMap((l) => {
        if (!l.trim()) return []
        try {
          return [JSON.parse(l) as LogEntry]
        } catch {
          return []
        }
      })
    if (view === 'summary') return summary(agentId, entries)
    const newest = (xs: LogEntry[]) => xs.slice().reverse().slice(0, limit)
    const pick =
      view === 'tool_calls'
        ? newest(entries.filter((e) => e.type === 'tool_call' || e.type === 'tool_result'))
        : view === 'messages'
          ? newest(entries.filter((e) => e.type === 'message'))
          : view === 'errors'
            ? entries.filter((e) => e.type === 'error') // all, oldest first (contract)
            : newest(entries)
    const total =
      view === 'full'
        ? entries.length
        : view === 'errors'
          ? pick.length
          : entries.filter((e) => (view === 'tool_calls' ? e.type === 'tool_call' || e.type === 'tool_result' : e.type === 'message')).length
    return { agent_id: agentId, view, total, entries: pick }
  }
}

function summary(agentId: string, entries: LogEntry[]): Record<string, unknown> {
  const start = entries.find((e) => e.type === 'start')
  const messages = entries.filter((e) => e.type === 'message')
  const tools = entries.filter((e) => e.type === 'tool_call')
  const usage = { input_tokens: 0, output_tokens: 0, total_cost_usd: 0 }
  for (const u of entries.filter((e) => e.type === 'usage')) {
    usage.input_tokens += Number(u.input_tokens) || 0
    usage.output_tokens += Number(u.output_tokens) || 0
    usage.total_cost_usd += Number(u.cost_usd) || 0
  }
  return {
    agent_id: agentId,
    view: 'summary',
    title: String(start?.title ?? agentId),
    agent_type: String(start?.agent_type ?? 'agent'),
    total_events: entries.length,
    tool_call_count: tools.length,
    error_count: entries.filter((e) => e.type === 'error').length,
    last_message: cut(String(messages.at(-1)?.content ?? ''), LAST_MESSAGE_CHARS),
    recent_tools: tools
      .slice(-20)
      .reverse()
      .map((t) => String(t.name)),
    usage,
  }
}
