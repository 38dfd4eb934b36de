/**
 * When steps go wrong: retry with retry_delay, a step's timeout, the run-wide max_total_time,
 * cancel (and its 404/409 answers), retry of a failed run from the step that failed (what
 * completed is kept), and shell's env allow-list and output cap. Shell steps (enabled here) give
 * real failures and real slow steps.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runnerKernel, start, step, waitRun, type RunnerKernel } from './test-support/kernel.js'

let g: RunnerKernel
let dir: string
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wf-fail-'))
  g = await runnerKernel({ runner: { shell_steps: true, shell_output_bytes: 1024 }, env: { SECRET_NOT_ALLOWED: 'leak', LANG: 'C.UTF-8' } })
})
after(async () => {
  await g.k.stop()
  rmSync(dir, { recursive: true, force: true })
})

const events = (runId: string, type: string) => g.k.events.all().filter((e) => e.type === type && (e as any).run_id === runId) as any[]

test('retry: a step that fails once succeeds on its second attempt, after retry_delay', async () => {
  const cwd = mkdtempSync(join(dir, 'retry-'))
  const id = await start(
    g.runner,
    `
name: flaky
steps:
  - id: flaky
    type: shell
    retry: 2
    retry_delay: 0.05
    shell: { command: ["sh", "-c", "test -f marker || { touch marker; echo first >&2; exit 3; }; echo ok"] }
`,
    {},
    { cwd },
  )
  const d = await waitRun(g.runner, id, ['completed', 'failed'])
  assert.equal(d.status, 'completed', d.error)
  assert.equal(step(d, 'flaky')!.output_preview, 'ok\n')
  const st = events(id, 'workflow_step')
    .filter((e) => e.step_id === 'flaky')
    .map((e) => e.status)
  assert.deepEqual(st, ['running', 'retrying', 'running', 'completed'])
  assert.match(events(id, 'workflow_step').find((e) => e.status === 'retrying').error, /exited with 3: first/)
})

test('retries run out: the step fails with the last error, and the run with it', async () => {
  const d = await waitRun(
    g.runner,
    await start(g.runner, 'name: x\nsteps:\n  - id: no\n    type: shell\n    retry: 1\n    retry_delay: 0\n    shell: { command: "false" }\n'),
    ['completed', 'failed'],
  )
  assert.equal(d.status, 'failed')
  assert.match(d.error, /step 'no' failed: false exited with 1/)
})

test('a step past its timeout is killed and fails the run; the rest does not run', async () => {
  const t0 = Date.now()
  const d = await waitRun(
    g.runner,
    await start(
      g.runner,
      'name: x\nsteps:\n  - id: slow\n    type: shell\n    timeout: 0.2\n    shell: { command: "sleep 30" }\n  - id: later\n    type: compute\n    depends_on: [slow]\n    compute: { outputs: { v: "1" } }\n',
    ),
    ['completed', 'failed'],
  )
  assert.ok(Date.now() - t0 < 5000)
  assert.equal(d.status, 'failed')
  assert.match(step(d, 'slow')!.error!, /timed out after 0.2 s/)
  assert.equal(step(d, 'later'), undefined)
})

test('max_total_time stops the whole run', async () => {
  const d = await waitRun(
    g.runner,
    await start(g.runner, 'name: x\nmax_total_time: 0.3\nsteps:\n  - id: slow\n    type: shell\n    timeout: 60\n    shell: { command: "sleep 30" }\n'),
    ['completed', 'failed'],
  )
  assert.equal(d.status, 'failed')
  assert.match(d.error, /max_total_time of 0.3 s exceeded/)
})

test('cancel: a running run is cancelled; again → already_terminal; an unknown run → not found', async () => {
  const id = await start(g.runner, 'name: x\nsteps:\n  - id: slow\n    type: shell\n    shell: { command: "sleep 30" }\n')
  while (!events(id, 'workflow_step').some((e) => e.status === 'running')) await new Promise((r) => setTimeout(r, 5))
  const c = await g.runner.cancel(id)
  assert.deepEqual({ cancelled: c.cancelled, status: c.status }, { cancelled: true, status: 'cancelled' })
  assert.equal(g.runner.getRun(id)!.status, 'cancelled')
  assert.deepEqual(await g.runner.cancel(id), { cancelled: false, run_id: id, status: 'cancelled', reason: 'already_terminal' })
  assert.deepEqual(await g.runner.cancel('nope'), { cancelled: false, reason: 'not_found_or_already_finished' })
})

test('retry of a failed run starts at the failed step and keeps what completed', async () => {
  const cwd = mkdtempSync(join(dir, 'rerun-'))
  const id = await start(
    g.runner,
    `
name: rerun
steps:
  - id: once
    type: shell
    shell: { command: ["sh", "-c", "echo ran >> count; echo first"] }
  - id: gate
    type: shell
    depends_on: [once]
    shell: { command: ["test", "-f", "ok"] }
  - id: last
    type: compute
    depends_on: [gate]
    compute: { outputs: { from: "\${once.output}" } }
`,
    {},
    { cwd },
  )
  const failed = await waitRun(g.runner, id, ['completed', 'failed'])
  assert.equal(failed.status, 'failed')
  await assert.rejects(g.runner.retry('nope'), (e: any) => e.statusCode === 404 && e.code === 'run_not_found')
  writeFileSync(join(cwd, 'ok'), '')
  const r = await g.runner.retry(id)
  assert.deepEqual(r, { run_id: id, status: 'running', resumed_from: 'gate' })
  const d = await waitRun(g.runner, id, ['completed', 'failed'])
  assert.equal(d.status, 'completed', d.error)
  assert.equal(readFileSync(join(cwd, 'count'), 'utf8'), 'ran\n', 'the completed step did not run again')
  assert.deepEqual(step(d, 'last')!.output_data, { from: 'first\n' })
  await assert.rejects(g.runner.retry(id), /only a failed or cancelled run can be retried/)
})

test('shell: only allow-listed environment variables, no shell expansion of inputs, output capped', async () => {
  const d = await waitRun(
    g.runner,
    await start(
      g.runner,
      `
name: sh
inputs:
  - name: evil
steps:
  - id: environ
    type: shell
    # PATH left out: under npm it is long enough to push the rest past the output preview
    shell: { command: ["sh", "-c", "env | grep -v '^PATH='"] }
  - id: inject
    type: shell
    shell: { command: "echo \${inputs.evil}" }
  - id: big
    type: shell
    shell: { command: ["sh", "-c", "head -c 5000 /dev/zero | tr '\\\\0' a"] }
  - id: seen
    type: compute
    compute: { outputs: { text: "\${big.output}" } }
`,
      { evil: '$(touch pwned); rm -rf /' },
      { cwd: dir },
    ),
    ['completed', 'failed'],
  )
  assert.equal(d.status, 'completed', d.error)
  const env = g.runner.getRun(d.run_id)!.steps.find((s) => s.step_id === 'environ')!.output_preview!
  assert.match(env, /LANG=C\.UTF-8/)
  assert.doesNotMatch(env, /SECRET_NOT_ALLOWED/)
  assert.equal(step(d, 'inject')!.output_preview, '$(touch pwned); rm -rf /\n')
  assert.throws(() => readFileSync(join(dir, 'pwned')))
  const text = String(step(d, 'seen')!.output_data!.text)
  assert.ok(text.startsWith('a'.repeat(1024) + '\n...['), text.slice(0, 20))
  assert.match(text, /3976 more bytes dropped: output capped at 1024 bytes/)
})

test('a timed-out shell step leaves no process behind: what it started is killed with it', async () => {
  const cwd = mkdtempSync(join(dir, 'tree-'))
  const d = await waitRun(
    g.runner,
    await start(
      g.runner,
      'name: x\nsteps:\n  - id: tree\n    type: shell\n    timeout: 0.3\n    shell: { command: ["sh", "-c", "sleep 30 & echo $! > child.pid; wait"] }\n',
      {},
      { cwd },
    ),
    ['completed', 'failed'],
  )
  assert.match(step(d, 'tree')!.error!, /timed out after 0.3 s/)
  const pid = Number(readFileSync(join(cwd, 'child.pid'), 'utf8'))
  const alive = () => {
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }
  const end = Date.now() + 3000
  while (alive() && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
  assert.equal(alive(), false, `the background sleep (pid ${pid}) was killed`)
})
