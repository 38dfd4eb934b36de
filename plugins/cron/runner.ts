/**
 * Runs one job and records it: the agent turn or shell command, then delivery of the output to a
 * channel (retried; a failed delivery fails the run unless `best_effort`), then the run row
 * (output capped at 16 KiB as the reference does) and the job's last_* fields. A job deleted while
 * it ran is not brought back.
 */
import { AgentRuntimeRef, KernelServices, WorkflowRunnerRef, type AgentRuntimeService, type PluginApi } from '@revka/plugin-sdk'
import { runShell } from './shell.js'
import type { CronStore } from './cron-store.js'
import type { Job } from './store.js'

export const RUN_OUTPUT_CAP = 16 * 1024
const DELIVERY_ATTEMPTS = 3

export interface RunnerDeps {
  api: PluginApi<any>
  store: CronStore
  now: () => number
  maxRunHistory: () => number
  shell: { enabled: boolean; timeoutMs: number; envAllow: string[] }
  /**
   * One controller per run in flight, aborted at stop (an agent turn or shell command ends). Not
   * one shared signal: each turn adds an abort listener, and EventTarget checks every existing
   * listener on add — 10,000 runs at once on one signal is quadratic.
   */
  inflight: Set<AbortController>
  /** delivery retry pause (tests shorten it) */
  retryBaseMs: number
  /** the agent runtime, resolved at the first agent run (not once per run: 10,000 may start at once) */
  runtime?: AgentRuntimeService
}

export interface RunOutcome {
  ok: boolean
  output: string
  startedAt: number
}

function cap(text: string): string {
  const b = Buffer.from(text, 'utf8')
  return b.length <= RUN_OUTPUT_CAP
    ? text
    : b
        .subarray(0, RUN_OUTPUT_CAP)
        .toString('utf8')
        .replace(/\uFFFD$/, '') + '\n...[truncated]'
}

async function execute(job: Job, d: RunnerDeps, startedAt: number, signal: AbortSignal): Promise<{ ok: boolean; output: string }> {
  if (job.job_type === 'agent') {
    const session = job.session_target === 'main' ? 'main' : `cron_${job.id}_${startedAt}`
    const r = await (d.runtime ??= d.api.services.get(AgentRuntimeRef)).runTurn(
      {
        sessionId: session,
        messages: [{ role: 'user', content: `[cron:${job.id}${job.name ? ` ${job.name}` : ''}] ${job.prompt ?? ''}` }],
        signal,
        source: 'cron',
        model: job.model ?? undefined,
        allowedTools: job.allowed_tools ?? undefined,
      },
      () => {},
    )
    if (r.timedOut) return { ok: false, output: `agent turn timed out${r.content ? `: ${r.content}` : ''}` }
    if (r.stopped) return { ok: false, output: 'agent turn stopped (gateway stopping)' }
    return { ok: true, output: r.content.trim() ? r.content : 'agent job executed' }
  }
  if (job.job_type === 'shell') {
    // the setting is checked again at run time: turning it off stops existing shell jobs too
    if (!d.shell.enabled) return { ok: false, output: 'shell jobs are disabled (plugins.cron.options.shell_jobs)' }
    const r = await runShell(job.argv ?? [], {
      cwd: d.api.gateway.workspaceDir,
      timeoutMs: d.shell.timeoutMs,
      envAllow: d.shell.envAllow,
      env: (n) => d.api.gateway.env(n),
      signal,
    })
    return { ok: r.ok, output: r.output }
  }
  return startWorkflow(job, d)
}

/**
 * A workflow job starts a run in-process through the runner service, with the runner's own
 * authority: no HTTP call (the reference POSTed to its own port without credentials). The job's
 * run ends when the run is started; the run itself is the runner's (GET /api/workflows/runs).
 */
async function startWorkflow(job: Job, d: RunnerDeps): Promise<{ ok: boolean; output: string }> {
  const runner = d.api.services.find(WorkflowRunnerRef)
  if (!runner) return { ok: false, output: 'the workflow runner is not enabled (plugin workflow-runner)' }
  const r = await runner.run({ workflow: job.command, inputs: {}, cwd: d.api.gateway.workspaceDir, source: 'cron' })
  if ('refused' in r) return { ok: false, output: `workflow '${job.command}' not started: ${r.message}` }
  return { ok: true, output: `started run ${r.run_id} of workflow '${r.workflow}'` }
}

async function deliver(job: Job, text: string, d: RunnerDeps, signal: AbortSignal): Promise<string | null> {
  if (job.delivery.mode !== 'announce' || !job.delivery.channel || !job.delivery.to) return null
  const channel = await d.api.services.get(KernelServices.channels).get(job.delivery.channel)
  if (!channel?.send) return `channel '${job.delivery.channel}' is not enabled or cannot send`
  let last = ''
  for (let attempt = 1; attempt <= DELIVERY_ATTEMPTS; attempt++) {
    try {
      await channel.send(job.delivery.to, text, AbortSignal.any([signal, AbortSignal.timeout(30_000)]))
      return null
    } catch (e) {
      last = (e as Error)?.message ?? String(e)
      if (signal.aborted || attempt === DELIVERY_ATTEMPTS) break
      await new Promise((r) => setTimeout(r, d.retryBaseMs * 2 ** (attempt - 1)))
    }
  }
  return `delivery to ${job.delivery.channel} failed after ${DELIVERY_ATTEMPTS} attempts: ${last}`
}

export async function runJob(job: Job, d: RunnerDeps, startedAt = d.now()): Promise<RunOutcome> {
  const ac = new AbortController()
  d.inflight.add(ac)
  try {
    return await runTracked(job, d, startedAt, ac.signal)
  } finally {
    d.inflight.delete(ac)
  }
}

async function runTracked(job: Job, d: RunnerDeps, startedAt: number, signal: AbortSignal): Promise<RunOutcome> {
  let ok: boolean
  let output: string
  try {
    ;({ ok, output } = await execute(job, d, startedAt, signal))
  } catch (e) {
    ok = false
    output = `error: ${(e as Error)?.message ?? String(e)}`
  }
  const failure = await deliver(job, output, d, signal)
  if (failure) {
    d.api.log.warn({ job: job.id, err: failure }, 'cron delivery failed')
    if (!job.delivery.best_effort) {
      ok = false
      output = `${output}\n[${failure}]`
    }
  }
  const finishedAt = d.now()
  const stored = cap(output)
  const run = {
    job_id: job.id,
    started_at: startedAt,
    finished_at: finishedAt,
    status: ok ? ('ok' as const) : ('error' as const),
    output: stored,
    duration_ms: Math.max(0, finishedAt - startedAt),
  }
  let deleteNow = false
  const recorded = await d.store.addRun(run, d.maxRunHistory(), (current) => {
    current.last_run = startedAt
    current.last_status = ok ? 'ok' : 'error'
    current.last_output = stored
    // a one-shot job, or a delete_after_run job that failed, does not fire again
    if (current.schedule.kind === 'at' || current.delete_after_run) current.enabled = false
    deleteNow = current.delete_after_run && ok
  })
  if (!recorded) return { ok, output, startedAt } // deleted while it ran
  if (deleteNow) await d.store.delete(job.id)
  d.api.audit.record({
    event_type: 'command_execution',
    action: { command: `cron.run ${job.id} (${job.job_type})`, risk_level: job.job_type === 'shell' ? 'high' : 'low', approved: true, allowed: true },
    result: { success: ok, duration_ms: finishedAt - startedAt, error: ok ? null : stored.slice(0, 200) },
    actor: { user_id: 'cron', username: null },
  })
  return { ok, output, startedAt }
}
