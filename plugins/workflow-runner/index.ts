/**
 * workflow-runner — the embedded runner of DOMAIN.md §7.4 as the `workflow-runner` service. The
 * reference runs workflows in a separate Python process over MCP; here they run in the gateway, so
 * `npm start` gives workflows that run. The definition and run routes (`workflows` plugin) and the
 * scheduler reach it only through the SDK's WorkflowRunnerService.
 *
 * The database opens in setup (the routes may ask for runs as soon as the gateway listens);
 * runs a crash cut off are resumed in onStart, when the agent runtime and the store are up.
 */
import { join } from 'node:path'
import { AgentRuntimeRef, definePlugin, domainProjects, DomainStoreRef, KernelServices, WorkflowRunnerRef } from '@revka/plugin-sdk'
import { RunLogs } from './activity.js'
import type { EngineHost } from './engine.js'
import { WorkflowRunner } from './lifecycle.js'
import { RunStore } from './run-store.js'
import type { LeafExecutor } from './step-runner.js'
import { agentExecutor } from './steps/agent.js'
import { computeExecutor } from './steps/compute.js'
import { announcePause, notifyExecutor, type NotifySettings } from './steps/notify.js'
import { shellExecutor } from './steps/shell.js'
import { deprecateExecutor, outputExecutor, resolveExecutor, tagExecutor } from './steps/store-steps.js'

interface Options {
  shell_steps: boolean
  shell_env_allow: string[]
  shell_output_bytes: number
  max_concurrent_runs: number
  max_run_history: number
  max_steps_per_run: number
  on_restart: 'resume' | 'fail'
  max_restarts: number
}

const SEND_TIMEOUT_MS = 30_000

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason)
      return
    }
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(t)
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

export default definePlugin<Options>({
  setup(api) {
    const o = api.config
    const store = new RunStore(join(api.store.dir, 'runs.db'))
    const now = () => api.gateway.now()
    const logs = new RunLogs(join(api.store.dir, 'runlogs'), now)
    const domain = () => api.services.get(DomainStoreRef)
    const projects = () => domainProjects(api.gateway)
    const env = (name: string) => (o.shell_env_allow.includes(name) ? api.gateway.env(name) : undefined)
    const notify: NotifySettings = { bus: api.events, channels: () => api.services.find(KernelServices.channels), sendTimeoutMs: SEND_TIMEOUT_MS }
    const storeSteps = { store: domain, harness: () => projects().harness }
    const executors: Record<string, LeafExecutor> = {
      agent: agentExecutor({ runtime: () => api.services.get(AgentRuntimeRef), store: domain, projects, logs }),
      compute: computeExecutor,
      notify: notifyExecutor(notify),
      output: outputExecutor(storeSteps),
      resolve: resolveExecutor(storeSteps),
      tag: tagExecutor(storeSteps),
      deprecate: deprecateExecutor(storeSteps),
      // validation refuses shell steps when they are off, so a run never reaches this without them
      ...(o.shell_steps
        ? { shell: shellExecutor({ envAllow: o.shell_env_allow, outputCap: o.shell_output_bytes, env, defaultCwd: api.gateway.workspaceDir }) }
        : {}),
    }
    const host: EngineHost = {
      store,
      env,
      now,
      log: api.log,
      maxStepsPerRun: o.max_steps_per_run,
      emit: (type, fields) => {
        api.events.emit(type, fields)
      },
      executor: (type) =>
        executors[type] ??
        (async () => {
          throw new Error(`step type '${type}' cannot run on this gateway`)
        }),
      announcePause: (run, step, scope) => announcePause(notify, run, step, scope),
      sleep: abortableSleep,
    }
    const runner = new WorkflowRunner(
      {
        store,
        logs,
        host,
        now,
        limits: { maxConcurrentRuns: o.max_concurrent_runs, maxRunHistory: o.max_run_history },
        shellAllowed: o.shell_steps,
        domain,
        harness: () => projects().harness,
      },
      { onRestart: o.on_restart, maxRestarts: o.max_restarts },
    )
    api.services.provide(WorkflowRunnerRef, runner)

    api.onStart(() => {
      const { resumed, failed } = runner.recover()
      if (resumed.length || failed.length) api.log.warn({ resumed, failed }, 'workflow runs interrupted by the last stop')
    })
    api.onStop(async () => {
      await runner.shutdown()
      store.close()
    })
  },
})
