// W1: the embedded workflow runner's overhead per step. 1,000 trivial `compute` workflows (3
// steps each, the third reading the first two through ${step.output_data.k}) run one after the
// other through the runner service — validation (cached by text), the run row, a checkpoint
// written to SQLite after every step, the events — against a bare baseline in the same run: the
// same templates rendered by the runner's own interpolation in a plain loop. Overhead per step =
// (runner time − bare time) / steps; target < 2 ms. Time is this process's CPU time (user + sys):
// the machine is shared, and wall time there measures the other tenants (both are printed).
// Also the process RSS after the runs.
// In process, on the plugin-testing kernel (store + agent-runtime + workflow-runner).
// BENCH_WF_RUNS sets the count (default 1,000).
import { join } from 'node:path'
import { ROOT } from './lib/proc.js'

const YAML = `
name: bench
inputs:
  - name: n
steps:
  - id: a
    type: compute
    compute: { outputs: { x: "a-\${inputs.n}" } }
  - id: b
    type: compute
    compute: { outputs: { y: "b-\${inputs.n}-\${run_id}" } }
  - id: c
    type: compute
    compute: { outputs: { z: "\${a.output_data.x}/\${b.output_data.y}" } }
`
const STEPS = 3

export async function w1() {
  const runs = Number(process.env.BENCH_WF_RUNS ?? 1000)
  const { startTestKernel } = await import(join(ROOT, 'plugin-testing/src/index.js'))
  const { WorkflowRunnerRef } = await import(join(ROOT, 'plugin-sdk/src/index.js'))
  const { render } = await import(join(ROOT, 'plugins/workflow-runner/interpolate.js'))
  const rssBefore = process.memoryUsage().rss
  const k = await startTestKernel({
    plugins: ['store', 'agent-runtime', 'workflow-runner'],
    options: { 'workflow-runner': { max_run_history: Math.max(runs, 1) } },
    config: '[providers.offline]\nchunk_delay_ms = 0\n',
    listen: false,
  })
  try {
    const runner = k.kernel.service(WorkflowRunnerRef)
    const once = async (i) => {
      const r = await runner.run({ workflow: 'bench', definition: YAML, inputs: { n: i } })
      if (r.refused) throw new Error(`refused: ${r.message}`)
      // the runner's own handle on the execution: no polling between runs
      const status = await runner.live.get(r.run_id).done
      if (status !== 'completed') throw new Error(`run ${i} ended ${status}: ${runner.getRun(r.run_id)?.error}`)
    }
    for (let i = 0; i < 20; i++) await once(i) // warm-up: JIT, statement cache
    k.events.clear()
    const cpu = () => {
      const u = process.cpuUsage()
      return (u.user + u.system) / 1000
    }
    const t0 = performance.now()
    const c0 = cpu()
    for (let i = 0; i < runs; i++) {
      await once(i)
      if (i % 100 === 99) k.events.clear() // the harness records every event; keep that out of RSS
    }
    const runnerMs = cpu() - c0
    const runnerWall = performance.now() - t0

    // bare: the same three steps' templates rendered in a loop, results kept in a map
    const b0 = cpu()
    const bw = performance.now()
    for (let i = 0; i < runs; i++) {
      const results = {}
      const scope = { run_id: `run-${i}`, inputs: { n: i }, results, env: () => undefined }
      results.a = { status: 'completed', output: '', output_data: { x: render('a-${inputs.n}', scope) } }
      results.b = { status: 'completed', output: '', output_data: { y: render('b-${inputs.n}-${run_id}', scope) } }
      results.c = { status: 'completed', output: '', output_data: { z: render('${a.output_data.x}/${b.output_data.y}', scope) } }
      await Promise.resolve()
    }
    const bareMs = cpu() - b0
    const bareWall = performance.now() - bw
    const perStep = (runnerMs - bareMs) / (runs * STEPS)
    global.gc?.()
    const rss = process.memoryUsage().rss
    return [
      {
        id: 'W1',
        name: `${runs} trivial compute workflows in a row (${STEPS} steps, checkpoint per step): runner overhead per step`,
        value: perStep,
        unit: 'ms/step',
        target: '< 2 ms',
        pass: perStep < 2,
        extra: `CPU ${(runnerMs / runs).toFixed(2)} ms per run through the runner vs ${(bareMs / runs).toFixed(4)} ms bare; wall ${(runnerWall / runs).toFixed(2)} vs ${(bareWall / runs).toFixed(4)} ms per run (load average ${(await import('node:os')).loadavg()[0].toFixed(1)})`,
      },
      {
        id: 'W2',
        name: `RSS after ${runs} workflow runs (in-process kernel)`,
        value: rss / 1024 / 1024,
        unit: 'MB',
        target: 'report',
        pass: true,
        extra: `${(rssBefore / 1024 / 1024).toFixed(0)} MB before the kernel started; ${runner.counts().total} runs stored`,
      },
    ]
  } finally {
    await k.stop()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of await w1()) console.log(`${f.id}  ${f.name}: ${f.value.toFixed(2)} ${f.unit} (target ${f.target}) ${f.pass ? 'PASS' : 'MISS'} — ${f.extra}`)
}
