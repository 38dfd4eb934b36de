/**
 * A test gateway with the runner and what it needs (store, agent runtime), the runner service
 * taken from the kernel, and a wait for a run to reach a status.
 */
import { WorkflowRunnerRef, type WorkflowRunDetail, type WorkflowRunnerService } from '@revka/plugin-sdk'
import { startTestKernel, type TestKernel, type TestKernelOptions } from '@revka/plugin-testing'

export interface RunnerKernel {
  k: TestKernel
  runner: WorkflowRunnerService
}

export async function runnerKernel(o: TestKernelOptions & { runner?: Record<string, unknown> } = {}): Promise<RunnerKernel> {
  const k = await startTestKernel({
    ...o,
    // with the mock agent runtime, it provides `agent-runtime` in place of the real one
    plugins: ['store', ...(o.mockAgent ? [] : ['agent-runtime']), 'workflow-runner', ...(o.plugins ?? [])],
    options: { ...o.options, 'workflow-runner': { ...o.runner } },
    config: o.config ?? '[providers.offline]\nchunk_delay_ms = 0\n',
  })
  const runner = k.kernel.service(WorkflowRunnerRef)
  if (!runner) throw new Error('workflow-runner did not start: ' + JSON.stringify(k.plugin('workflow-runner')))
  return { k, runner }
}

export async function waitRun(runner: WorkflowRunnerService, runId: string, statuses: string[], ms = 10_000): Promise<WorkflowRunDetail> {
  const end = Date.now() + ms
  for (;;) {
    const r = runner.getRun(runId)
    if (r && statuses.includes(r.status)) return r
    if (Date.now() > end) throw new Error(`run ${runId} did not reach ${statuses.join('|')} within ${ms} ms: ${JSON.stringify(r)}`)
    await new Promise((res) => setTimeout(res, 10))
  }
}

/** start a run of inline YAML (the runner's `definition`), refusing the test on a refusal */
export async function start(
  runner: WorkflowRunnerService,
  yaml: string,
  inputs: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<string> {
  const r = await runner.run({ workflow: 'inline', definition: yaml, inputs, ...extra })
  if ('refused' in r) throw new Error(`refused: ${r.code} ${r.message} ${JSON.stringify(r.validation?.errors ?? [])}`)
  return r.run_id
}

export const step = (d: WorkflowRunDetail, id: string) => d.steps.find((s) => s.step_id === id)

/** a run that paused and finished announcing it (until then it still counts as executing) */
export async function waitPaused(runner: WorkflowRunnerService, runId: string): Promise<WorkflowRunDetail> {
  const end = Date.now() + 10_000
  for (;;) {
    const d = await waitRun(runner, runId, ['paused', 'completed', 'failed', 'cancelled'])
    if (d.status !== 'paused' || d.steps.some((s) => s.output_data?.delivery)) return d
    if (Date.now() > end) throw new Error(`run ${runId} paused but never announced it`)
    await new Promise((res) => setTimeout(res, 10))
  }
}
