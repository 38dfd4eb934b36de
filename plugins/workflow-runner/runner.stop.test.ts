/**
 * A graceful stop in the middle of a run (the gateway restarting, not crashing): the executing
 * step is stopped, the run stays `running` with its checkpoint, and the next start on the same
 * state resumes it; with `max_restarts: 0` it is failed instead, saying why and where a retry
 * picks up, and the retry finishes it.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runnerKernel, start, step, waitRun } from './test-support/kernel.js'

const state = mkdtempSync(join(tmpdir(), 'wf-stop-'))
const work = mkdtempSync(join(tmpdir(), 'wf-stop-work-'))
after(() => {
  rmSync(state, { recursive: true, force: true })
  rmSync(work, { recursive: true, force: true })
})

const YAML = `
name: stoppable
steps:
  - id: first
    type: shell
    shell: { command: ["sh", "-c", "echo ran >> first.count; echo one"] }
  - id: wait
    type: shell
    depends_on: [first]
    shell: { command: ["sh", "-c", "echo started >> wait.count; while [ ! -f go ]; do sleep 0.05; done; echo two"] }
`
const count = (f: string) => (existsSync(join(work, f)) ? readFileSync(join(work, f), 'utf8').trim().split('\n').length : 0)
async function until(pred: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

test('a stop mid-step leaves the run running with its checkpoint; the next start resumes it, or fails it past max_restarts', async () => {
  let g = await runnerKernel({ stateDir: state, runner: { shell_steps: true } })
  const id = await start(g.runner, YAML, {}, { cwd: work })
  await until(() => count('wait.count') === 1, 'the second step to start')
  await g.k.stop()

  g = await runnerKernel({ stateDir: state, runner: { shell_steps: true } })
  await until(() => count('wait.count') === 2, 'the resumed step')
  assert.equal(g.runner.getRun(id)!.status, 'running')
  writeFileSync(join(work, 'go'), '')
  const d = await waitRun(g.runner, id, ['completed', 'failed'])
  assert.equal(d.status, 'completed', d.error)
  assert.equal(count('first.count'), 1, 'the step before the checkpoint did not run again')
  assert.equal(step(d, 'wait')!.output_preview, 'two\n')
  rmSync(join(work, 'go'))

  const second = await start(g.runner, YAML, {}, { cwd: work })
  await until(() => count('wait.count') === 3, 'the second run to wait')
  await g.k.stop()
  g = await runnerKernel({ stateDir: state, runner: { shell_steps: true, max_restarts: 0 } })
  const f = g.runner.getRun(second)!
  assert.equal(f.status, 'failed')
  assert.match(f.error, /resumed 0 times already \(max_restarts 0\)\. Retry it to continue from step 'wait'/)
  writeFileSync(join(work, 'go'), '')
  assert.deepEqual(await g.runner.retry(second), { run_id: second, status: 'running', resumed_from: 'wait' })
  assert.equal((await waitRun(g.runner, second, ['completed', 'failed'])).status, 'completed')
  assert.equal(count('first.count'), 2, 'one run of the first step per run')
  await g.k.stop()
  g = await runnerKernel({ stateDir: state, runner: { shell_steps: true, on_restart: 'fail' } })
  assert.equal(g.runner.getRun(second)!.status, 'completed', 'a finished run is left alone at start')
  await g.k.stop()
})
