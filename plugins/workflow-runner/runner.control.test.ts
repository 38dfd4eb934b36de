import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { runnerKernel, start, step, waitRun, type RunnerKernel } from './test-support/kernel.js'

let g: RunnerKernel
before(async () => { g = await runnerKernel() })
after(async () => { await g.k.stop() })

test('compute steps run in dependency order and interpolate inputs, run_id and earlier outputs', async () => {
  const id = await start(g.runner, `
name: sums
inputs:
  - name: who
  - name: n
    type: number
    default: 3
steps:
  - id: b
    type: compute
    compute: { outputs: { greeting: "hello \${inputs.who} x\${a.output_data.n}", run: "\${run_id}" } }
  - id: a
    type: compute
    compute: { outputs: { n: "\${inputs.n}" } }
`, { who: 'ada' })
  const d = await waitRun(g.runner, id, ['completed', 'failed'])
  assert.equal(d.status, 'completed', d.error)
  assert.deepEqual(step(d, 'b')!.output_data, { greeting: 'hello ada x3', run: id })
  assert.equal(d.steps_completed, '2')
  assert.equal(d.steps_total, '2')
  assert.deepEqual(d.steps.map((s) => s.step_id), ['b', 'a'], 'detail lists steps in definition order')
  const mine = g.k.events.all().filter((e) => (e as any).run_id === id)
  assert.deepEqual(mine.filter((e) => e.type === 'workflow_run').map((e) => (e as any).status), ['pending', 'running', 'completed'])
  const order = mine.filter((e) => e.type === 'workflow_step' && (e as any).status === 'completed').map((e) => (e as any).step_id)
  assert.deepEqual(order, ['a', 'b'], 'the inferred dependency (b reads a) ran a first')
})
