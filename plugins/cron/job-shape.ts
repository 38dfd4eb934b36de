/**
 * The wire side of a job (DOMAIN.md §16): checking a POST/PATCH body and the `CronJob` document the
 * routes answer. Refusals are 400 `{error, code}` with the contract's messages; a bad expression
 * carries croner's message (the reference answers 500 for it).
 */
import { randomUUID } from 'node:crypto'
import { httpError } from '@revka/plugin-sdk'
import { cronOf, nextAfter, ScheduleError } from './schedule.js'
import type { Delivery, Job, JobType } from './store.js'

export interface ShapeContext {
  now: number
  shellEnabled: boolean
  /** enabled channels that can send, by id */
  channels: Set<string>
}

const TEXT_MAX = 16 * 1024
const bad = (code: string, message: string) => httpError(400, code, message)

function optString(body: Record<string, unknown>, key: string, max = TEXT_MAX): string | undefined {
  const v = body[key]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw bad('invalid_field', `'${key}' must be a string`)
  if (v.length > max) throw bad('field_too_long', `'${key}' is longer than ${max} characters`)
  return v
}

/** 5 fields (crontab), 6 (seconds first) or 7 (plus year); the parser's message when it refuses */
export function checkExpression(expr: string, tz: string | null): string {
  const e = expr.trim().replace(/\s+/g, ' ')
  try {
    cronOf(e, tz)
  } catch (err) {
    throw bad('invalid_schedule', `Invalid cron expression '${expr}': ${(err as ScheduleError).message}`)
  }
  return e
}

function checkDelivery(v: unknown, ctx: ShapeContext): Delivery {
  if (v === undefined || v === null) return { mode: 'none', channel: null, to: null, best_effort: true }
  if (typeof v !== 'object' || Array.isArray(v)) throw bad('invalid_delivery', "Failed to add cron job: 'delivery' must be an object")
  const d = v as Record<string, unknown>
  const mode = d.mode ?? 'none'
  if (mode !== 'none' && mode !== 'announce')
    throw bad('invalid_delivery', `Failed to add cron job: unsupported delivery mode '${String(mode)}' (none or announce)`)
  const channel = typeof d.channel === 'string' && d.channel.trim() ? d.channel.trim() : null
  const to = typeof d.to === 'string' && d.to.trim() ? d.to.trim() : null
  const best_effort = d.best_effort === undefined ? true : d.best_effort === true
  if (mode === 'announce') {
    if (!channel) throw bad('invalid_delivery', 'Failed to add cron job: delivery.channel is required for announce mode')
    if (!ctx.channels.has(channel)) {
      const known = [...ctx.channels].join(', ') || 'none enabled'
      throw bad('invalid_delivery', `Failed to add cron job: unsupported delivery channel '${channel}' (channels that can send: ${known})`)
    }
    if (!to) throw bad('invalid_delivery', 'Failed to add cron job: delivery.to is required for announce mode')
  }
  return { mode, channel, to, best_effort }
}

/** a shell command as argv: whitespace-separated words, no quoting, globbing or variables */
export function argvOf(command: string, argv: unknown): string[] {
  if (argv !== undefined) {
    if (!Array.isArray(argv) || !argv.length || argv.length > 256 || argv.some((a) => typeof a !== 'string' || a.length > 4096 || a.includes('\0'))) {
      throw bad('invalid_field', "'argv' must be 1..256 strings without NUL")
    }
    return argv as string[]
  }
  const words = command.trim().split(/\s+/).filter(Boolean)
  if (!words.length) throw bad('missing_command', "Missing 'command' for shell job")
  if (words.some((w) => w.includes('\0'))) throw bad('invalid_field', "'command' contains NUL")
  return words
}

export function parseCreate(body: unknown, ctx: ShapeContext, owner: string): Job {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad('invalid_body', 'Body must be a JSON object')
  const b = body as Record<string, unknown>
  const schedule = optString(b, 'schedule', 256)
  if (schedule === undefined) throw bad('missing_schedule', "Missing 'schedule'")
  const tz = optString(b, 'timezone', 64) ?? optString(b, 'tz', 64) ?? null
  const expr = checkExpression(schedule, tz)
  const prompt = optString(b, 'prompt')
  const command = optString(b, 'command') ?? ''
  const jt = b.job_type
  const job_type: JobType = jt === 'agent' || (jt === undefined && prompt !== undefined) ? 'agent' : jt === 'workflow' ? 'workflow' : 'shell'
  if (jt !== undefined && jt !== 'agent' && jt !== 'shell' && jt !== 'workflow')
    throw bad('invalid_job_type', `Unknown job_type '${String(jt)}' (agent, shell or workflow)`)
  if (job_type === 'workflow' && !command.trim()) throw bad('missing_command', "Missing 'command' (the workflow's name) for workflow job")
  let argv: string[] | null = null
  if (job_type === 'agent' && !prompt?.trim()) throw bad('missing_prompt', "Missing 'prompt' for agent job")
  if (job_type === 'shell') {
    if (!ctx.shellEnabled)
      throw bad('shell_jobs_disabled', 'Shell jobs are disabled: set plugins.cron.options.shell_jobs = true in revka.plugins.json to allow them')
    if (!command.trim() && b.argv === undefined) throw bad('missing_command', "Missing 'command' for shell job")
    argv = argvOf(command, b.argv)
  }
  const st = b.session_target ?? 'isolated'
  if (st !== 'main' && st !== 'isolated') throw bad('invalid_field', "'session_target' must be main or isolated")
  const tools = b.allowed_tools
  if (tools !== undefined && tools !== null && (!Array.isArray(tools) || tools.length > 256 || tools.some((t) => typeof t !== 'string' || t.length > 128))) {
    throw bad('invalid_field', "'allowed_tools' must be a list of at most 256 tool names")
  }
  if (b.delete_after_run !== undefined && typeof b.delete_after_run !== 'boolean') throw bad('invalid_field', "'delete_after_run' must be a boolean")
  const s = { kind: 'cron' as const, expr, tz }
  return {
    id: randomUUID(),
    name: optString(b, 'name', 256) ?? null,
    schedule: s,
    command: job_type === 'agent' ? '' : command || (argv ?? []).join(' '),
    argv,
    prompt: job_type === 'agent' ? prompt! : null,
    job_type,
    session_target: st,
    model: optString(b, 'model', 256) ?? null,
    allowed_tools: (tools as string[] | undefined | null) ?? null,
    enabled: true,
    delivery: checkDelivery(b.delivery, ctx),
    delete_after_run: b.delete_after_run === true,
    source: 'imperative',
    owner,
    created_at: ctx.now,
    next_run: nextAfter(s, ctx.now),
    last_run: null,
    last_status: null,
    last_output: null,
  }
}

/** PATCH `{name?, schedule?, command?, prompt?, enabled?}`; command/prompt routed by the stored type */
export function applyPatch(job: Job, body: unknown, ctx: ShapeContext): Job {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad('invalid_body', 'Body must be a JSON object')
  const b = body as Record<string, unknown>
  const next: Job = { ...job }
  const name = optString(b, 'name', 256)
  if (name !== undefined) next.name = name
  const schedule = optString(b, 'schedule', 256)
  if (schedule !== undefined) {
    const tz = job.schedule.kind === 'cron' ? job.schedule.tz : null
    next.schedule = { kind: 'cron', expr: checkExpression(schedule, tz), tz }
    next.next_run = nextAfter(next.schedule, ctx.now)
  }
  const command = optString(b, 'command')
  const prompt = optString(b, 'prompt')
  if (job.job_type === 'agent') {
    const p = command ?? prompt
    if (p !== undefined) {
      if (!p.trim()) throw bad('missing_prompt', "Missing 'prompt' for agent job")
      next.prompt = p
    }
  } else if (job.job_type === 'workflow') {
    if (command !== undefined) {
      if (!command.trim()) throw bad('missing_command', "Missing 'command' (the workflow's name) for workflow job")
      next.command = command
    }
  } else if (command !== undefined) {
    if (!ctx.shellEnabled)
      throw bad('shell_jobs_disabled', 'Shell jobs are disabled: set plugins.cron.options.shell_jobs = true in revka.plugins.json to allow them')
    next.argv = argvOf(command, undefined)
    next.command = command
  }
  if (b.enabled !== undefined) {
    if (typeof b.enabled !== 'boolean') throw bad('invalid_field', "'enabled' must be a boolean")
    next.enabled = b.enabled
    // re-enabled: the next fire is computed from now, not the missed series
    if (b.enabled && !job.enabled) next.next_run = nextAfter(next.schedule, ctx.now)
  }
  return next
}

export function expressionOf(j: Job): string {
  return j.schedule.kind === 'cron' ? j.schedule.expr : ''
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** the contract's CronJob document */
export function toWire(j: Job): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    id: j.id,
    expression: expressionOf(j),
    schedule: j.schedule,
    command: j.command,
    prompt: j.prompt,
    name: j.name,
    job_type: j.job_type,
    session_target: j.session_target,
    model: j.model,
    enabled: j.enabled,
    delivery: j.delivery,
    delete_after_run: j.delete_after_run,
    source: j.source,
    created_at: iso(j.created_at),
    next_run: iso(j.next_run),
    last_run: iso(j.last_run),
    last_status: j.last_status,
    last_output: j.last_output,
  }
  if (j.allowed_tools) doc.allowed_tools = j.allowed_tools
  return doc
}
