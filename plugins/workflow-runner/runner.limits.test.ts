/**
 * Every quota a caller can run into, each hit once: runs executing at once
 * (max_concurrent_runs), runs stored (max_run_history: the oldest finished run is pruned; with
 * none finished a new run is refused), step executions per run (max_steps_per_run), and the size
 * of what one step may store (output_data past the cap fails the step; output is cut).
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { runnerKernel, start, step, waitPaused, waitRun, type RunnerKernel } from './test-support/kernel.js'

let g: RunnerKernel
before(async () => {
  g = await runnerKernel({ runner: { shell_steps: true, max_concurrent_runs: 2, max_run_history: 4, max_steps_per_run: 6 } })
})
after(async () => {
  await g.k.stop()
})

const COMPUTE = 'name: tiny\nsteps:\n  - id: a\n    type: compute\n    compute: { outputs: { v: "1" } }\n'
const ASK = 'name: ask\nsteps:\n  - id: q\n    type: human_input\n    human_input: { message: "?" }\n'
const SLOW = 'name: slow\nsteps:\n  - id: s\n    type: shell\n    shell: { command: "sleep 30" }\n'

async function clear(): Promise<void> {
  for (const r of g.runner.listRuns({ limit: 100 })) await g.runner.deleteRun(r.run_id)
}

test('max_run_history: the oldest finished run is pruned; with none finished a new run is refused', async () => {
  await clear()
  const done: string[] = []
  for (let i = 0; i < 4; i++) done.push((await waitRun(g.runner, await start(g.runner, COMPUTE), ['completed'])).run_id)
  const fifth = await start(g.runner, COMPUTE)
  await waitRun(g.runner, fifth, ['completed'])
  assert.equal(g.runner.getRun(done[0]), undefined, 'the oldest finished run went')
  assert.deepEqual(
    g.runner.listRuns({ limit: 100 }).map((r) => r.run_id),
    [fifth, done[3], done[2], done[1]],
  )
  await clear()
  const waiting: string[] = []
  for (let i = 0; i < 4; i++) {
    const id = await start(g.runner, ASK)
    waiting.push(id)
    await waitPaused(g.runner, id)
  }
  const r = await g.runner.run({ workflow: 'inline', definition: COMPUTE })
  assert.ok('refused' in r && r.code === 'run_quota_exceeded', JSON.stringify(r))
  assert.match(r.message, /none has finished \(max_run_history 4\)/)
  assert.deepEqual(g.runner.counts(), { total: 4, active: 4 }, 'nothing was stored or removed')
  await g.runner.cancel(waiting[0])
  await waitRun(g.runner, await start(g.runner, COMPUTE), ['completed'])
  assert.equal(g.runner.getRun(waiting[0]), undefined, 'the cancelled run made room')
  await clear()
})

test('max_concurrent_runs: a third run while two execute is refused, and so is a retry; room comes back when one ends', async () => {
  await clear()
  const failed = (await waitRun(g.runner, await start(g.runner, 'name: f\nsteps:\n  - id: f\n    type: shell\n    shell: { command: "false" }\n'), ['failed']))
    .run_id
  const a = await start(g.runner, SLOW)
  const b = await start(g.runner, SLOW)
  const r = await g.runner.run({ workflow: 'inline', definition: COMPUTE })
  assert.ok('refused' in r && r.code === 'run_quota_exceeded', JSON.stringify(r))
  assert.match(r.message, /2 runs are executing \(max_concurrent_runs 2\)/)
  await assert.rejects(g.runner.retry(failed), (e: any) => e.code === 'REVKA_ERR_RUN_QUOTA')
  assert.equal(g.runner.getRun(failed)!.status, 'failed', 'the refused retry changed nothing')
  await g.runner.cancel(a)
  await waitRun(g.runner, await start(g.runner, COMPUTE), ['completed'])
  await g.runner.cancel(b)
  await clear()
})

test('max_steps_per_run: a loop that would run forever fails the run at the quota', async () => {
  const d = await waitRun(
    g.runner,
    await start(
      g.runner,
      'name: spin\nsteps:\n  - id: body\n    type: compute\n    compute: { outputs: { v: "1" } }\n  - id: again\n    type: goto\n    depends_on: [body]\n    goto: { target: body, condition: "true", max_iterations: 20 }\n',
    ),
    ['completed', 'failed'],
  )
  assert.equal(d.status, 'failed')
  assert.match(d.error, /max_steps_per_run \(6 step executions\)/)
  await clear()
})

test('output size: output_data past the cap fails the step; a huge output is cut, not stored whole', async () => {
  const big = 'x'.repeat(300 * 1024)
  const d = await waitRun(
    g.runner,
    await start(g.runner, 'name: big\ninputs:\n  - name: big\nsteps:\n  - id: copy\n    type: compute\n    compute: { outputs: { v: "${inputs.big}" } }\n', {
      big,
    }),
    ['completed', 'failed'],
  )
  assert.equal(d.status, 'failed')
  assert.match(step(d, 'copy')!.error!, /produced 307\d+ characters of output_data, more than the 262144 a step may store/)
  const fan = Array.from({ length: 3 }, (_, i) => `        - { id: c${i}, type: compute, compute: { outputs: { v: "\${inputs.big}" } } }`).join('\n')
  const p = await waitRun(
    g.runner,
    await start(
      g.runner,
      `name: fan\ninputs:\n  - name: big\nsteps:\n  - id: p\n    type: parallel\n    parallel:\n      steps:\n${fan}\n  - id: after\n    type: compute\n    depends_on: [p]\n    compute: { outputs: { n: "\${p.output}" } }\n`,
      { big: 'y'.repeat(100 * 1024) },
    ),
    ['completed', 'failed'],
  )
  assert.equal(p.status, 'failed', 'the 3 × 100 KiB outputs joined are cut, and the copy of them is refused')
  assert.match(step(p, 'after')!.error!, /more than the 262144/)
  const joined = g.k.events.all().find((e: any) => e.type === 'workflow_step' && e.run_id === p.run_id && e.step_id === 'p' && e.status === 'completed')
  assert.ok(joined)
  await clear()
})
