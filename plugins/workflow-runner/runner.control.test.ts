/**
 * The control flow a user sees in a run's detail and on the event bus: waves in dependency order
 * (inferred ${step.…} dependencies included), conditional branches, goto loops bounded by
 * max_iterations, parallel with join and max_concurrency, for_each with ${for_each.*}.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { runnerKernel, start, step, waitRun, type RunnerKernel } from './test-support/kernel.js'

let g: RunnerKernel
before(async () => {
  g = await runnerKernel({ runner: { shell_steps: true } })
})
after(async () => {
  await g.k.stop()
})

const events = (runId: string, type: string) => g.k.events.all().filter((e) => e.type === type && (e as any).run_id === runId) as any[]

test('compute steps run in dependency order and interpolate inputs, run_id and earlier outputs', async () => {
  const id = await start(
    g.runner,
    `
name: sums
inputs:
  - name: who
  - name: n
    type: number
    default: 3
steps:
  - id: b
    type: compute
    compute: { outputs: { greeting: "hello \${inputs.who} x\${a.output_data.n}", run: "\${run_id}", st: "\${a.status}" } }
  - id: a
    type: compute
    compute: { outputs: { n: "\${inputs.n}" } }
`,
    { who: 'ada' },
  )
  const d = await waitRun(g.runner, id, ['completed', 'failed'])
  assert.equal(d.status, 'completed', d.error)
  assert.deepEqual(step(d, 'b')!.output_data, { greeting: 'hello ada x3', run: id, st: 'completed' })
  assert.equal(d.steps_completed, '2')
  assert.equal(d.steps_total, '2')
  assert.deepEqual(
    d.steps.map((s) => s.step_id),
    ['b', 'a'],
    'detail lists steps in definition order',
  )
  assert.deepEqual(
    events(id, 'workflow_run').map((e) => e.status),
    ['pending', 'running', 'completed'],
  )
  const order = events(id, 'workflow_step')
    .filter((e) => e.status === 'completed')
    .map((e) => e.step_id)
  assert.deepEqual(order, ['a', 'b'], 'the inferred dependency (b reads a) ran a first')
})

test('a missing required input refuses the run before it exists', async () => {
  const r = await g.runner.run({
    workflow: 'inline',
    definition: 'name: x\ninputs:\n  - name: must\nsteps:\n  - id: a\n    type: compute\n    compute: { outputs: { v: "${inputs.must}" } }\n',
  })
  assert.ok('refused' in r && r.code === 'invalid_workflow' && /must/.test(r.message))
})

test('conditional: the matching branch runs, the other is skipped, and a step after both still runs', async () => {
  const yaml = (n: number) => `
name: branchy
steps:
  - id: check
    type: compute
    compute: { outputs: { v: "${n}" } }
  - id: route
    type: conditional
    depends_on: [check]
    conditional:
      branches:
        - { condition: "\${check.output_data.v} > 5 and \${check.status} == 'completed'", goto: big }
        - { condition: default, goto: small }
  - id: big
    type: compute
    depends_on: [route]
    compute: { outputs: { size: big } }
  - id: small
    type: compute
    depends_on: [route]
    compute: { outputs: { size: small } }
  - id: after
    type: compute
    depends_on: [big, small]
    compute: { outputs: { seen: "\${big.output_data.size}\${small.output_data.size}" } }
`
  for (const [n, taken, skipped] of [
    [9, 'big', 'small'],
    [2, 'small', 'big'],
  ] as const) {
    const d = await waitRun(g.runner, await start(g.runner, yaml(n)), ['completed', 'failed'])
    assert.equal(d.status, 'completed', d.error)
    assert.equal(step(d, taken)!.status, 'completed')
    assert.equal(step(d, skipped)!.status, 'skipped')
    assert.deepEqual(step(d, 'after')!.output_data, { seen: taken })
    assert.equal(step(d, 'route')!.output_data!.goto, taken)
  }
})

test('goto loops back with ${loop.iteration} until max_iterations, then the run goes on', async () => {
  const id = await start(
    g.runner,
    `
name: loop
steps:
  - id: body
    type: compute
    compute: { outputs: { i: "\${loop.iteration}" } }
  - id: again
    type: goto
    depends_on: [body]
    goto: { target: body, condition: "\${body.output_data.i} < 10", max_iterations: 2 }
  - id: done
    type: compute
    depends_on: [again]
    compute: { outputs: { last: "\${body.output_data.i}" } }
`,
  )
  const d = await waitRun(g.runner, id, ['completed', 'failed'])
  assert.equal(d.status, 'completed', d.error)
  const passes = events(id, 'workflow_step').filter((e) => e.step_id === 'body' && e.status === 'completed')
  assert.equal(passes.length, 3, 'the first pass and two jumps')
  assert.deepEqual(step(d, 'done')!.output_data, { last: '2' })
  assert.match(step(d, 'again')!.output_preview!, /max_iterations \(2\) reached/)
  assert.equal(d.current_iteration, '2')
})

test('parallel: at most max_concurrency children at once; join all fails on one failure, join any does not', async () => {
  const children = (n: number) => Array.from({ length: n }, (_, i) => `        - { id: c${i}, type: compute, compute: { outputs: { i: "${i}" } } }`).join('\n')
  const id = await start(g.runner, `name: fan\nsteps:\n  - id: p\n    type: parallel\n    parallel:\n      max_concurrency: 2\n      steps:\n${children(5)}\n`)
  const d = await waitRun(g.runner, id, ['completed', 'failed'])
  assert.equal(d.status, 'completed', d.error)
  let live = 0,
    peak = 0
  for (const e of events(id, 'workflow_step').filter((x) => /^c\d$/.test(x.step_id))) {
    if (e.status === 'running') peak = Math.max(peak, ++live)
    else if (e.status === 'completed') live--
  }
  assert.equal(peak, 2)
  assert.equal(step(d, 'c4')!.status, 'completed')

  const joined = (join: string) => `
name: join-${join}
steps:
  - id: p
    type: parallel
    parallel:
      join: ${join}
      steps:
        - { id: ok, type: compute, compute: { outputs: { v: "1" } } }
        - { id: bad, type: shell, shell: { command: "false" } }
  - id: next
    type: compute
    depends_on: [p]
    compute: { outputs: { v: "\${ok.output_data.v}" } }
`
  const any = await waitRun(g.runner, await start(g.runner, joined('any')), ['completed', 'failed'])
  assert.equal(any.status, 'completed', any.error)
  assert.equal(step(any, 'bad')!.status, 'failed')
  assert.deepEqual(step(any, 'next')!.output_data, { v: '1' })
  const all = await waitRun(g.runner, await start(g.runner, joined('all')), ['completed', 'failed'])
  assert.equal(all.status, 'failed')
  assert.match(all.error, /join all: 1 of 2 branches completed/)
  assert.equal(step(all, 'next'), undefined, 'nothing after the failed step ran')
})

test('for_each runs its body once per item with ${for_each.*}', async () => {
  const id = await start(
    g.runner,
    `
name: each
inputs:
  - name: names
    type: list
steps:
  - id: people
    type: for_each
    for_each:
      items: "\${inputs.names}"
      variable: who
      steps:
        - { id: greet, type: compute, compute: { outputs: { line: "\${for_each.who} \${for_each.index} \${for_each.iteration}/\${for_each.total}" } } }
  - id: range
    type: for_each
    for_each: { range: "2..4", steps: [{ id: sq, type: compute, compute: { outputs: { n: "\${for_each.item}" } } }] }
`,
    { names: ['ada', 'bo', 'cy'] },
  )
  const d = await waitRun(g.runner, id, ['completed', 'failed'])
  assert.equal(d.status, 'completed', d.error)
  const out = JSON.parse(g.runner.getRun(id)!.steps.find((s) => s.step_id === 'people')!.output_preview!)
  assert.deepEqual(
    out.map((o: string) => JSON.parse(o).line),
    ['ada 0 1/3', 'bo 1 2/3', 'cy 2 3/3'],
  )
  assert.deepEqual(step(d, 'sq')!.output_data, { n: '4' }, 'the child keeps its last pass')
  assert.equal((step(d, 'range')!.output_data as any).total, 3)
})

test('target_step_id runs only that step and what it depends on; an unknown one is refused', async () => {
  const yaml = `
name: partial
steps:
  - { id: a, type: compute, compute: { outputs: { v: "a" } } }
  - { id: b, type: compute, depends_on: [a], compute: { outputs: { v: "\${a.output_data.v}b" } } }
  - { id: other, type: compute, compute: { outputs: { v: "x" } } }
  - { id: c, type: compute, depends_on: [b], compute: { outputs: { v: "c" } } }
`
  const d = await waitRun(g.runner, await start(g.runner, yaml, {}, { target_step_id: 'b' }), ['completed', 'failed'])
  assert.equal(d.status, 'completed', d.error)
  assert.deepEqual(
    d.steps.map((s) => s.step_id),
    ['a', 'b'],
  )
  assert.equal(d.steps_total, '2')
  assert.deepEqual(step(d, 'b')!.output_data, { v: 'ab' })
  const r = await g.runner.run({ workflow: 'inline', definition: yaml, target_step_id: 'nope' })
  assert.ok('refused' in r && r.code === 'unknown_target_step')
})
