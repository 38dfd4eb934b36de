/**
 * "Gateway killed mid-run → found at start": a real `revka gateway` process runs a workflow over
 * its HTTP routes (workflows plugin + this runner), is SIGKILLed while a step is executing, and is
 * started again on the same state dir: the run continues from its checkpoint (the step that had
 * completed does not run again). The other answer at start — failed, then retried — is in
 * runner.stop.test.ts (in process: the same recovery code, without two more process starts).
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startGatewayProcess, type GatewayProcess } from '../../test/ingress/gateway-process.js'
import { tempStateDir, waitUntil } from '../../test/ingress/support.js'

const state = tempStateDir('revka-wf-restart-')
const work = tempStateDir('revka-wf-restart-work-')
let gw: GatewayProcess | null = null
after(async () => {
  await gw?.kill()
  // the shell step a kill orphaned waits for this file: let it end
  writeFileSync(join(work, 'go'), '')
  rmSync(state, { recursive: true, force: true })
  rmSync(work, { recursive: true, force: true })
})

const YAML = `
name: restartable
inputs:
  - name: dir
  - name: tag
steps:
  - id: first
    type: shell
    shell: { command: ["sh", "-c", "echo ran >> \\"$0/$1.first\\"; echo one", "\${inputs.dir}", "\${inputs.tag}"] }
  - id: wait
    type: shell
    depends_on: [first]
    timeout: 60
    shell: { command: ["sh", "-c", "echo started >> \\"$0/$1.wait\\"; while [ ! -f \\"$0/go\\" ]; do sleep 0.05; done; echo two", "\${inputs.dir}", "\${inputs.tag}"] }
  - id: last
    type: compute
    compute: { outputs: { got: "\${first.output}\${wait.output}" } }
`

async function boot(): Promise<{ call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }> }> {
  writeFileSync(join(state, 'config.toml'), '[providers.offline]\nchunk_delay_ms = 0\n')
  gw = await startGatewayProcess(state, { admin: {}, pairing: {}, store: {}, 'agent-runtime': {}, workflows: {}, 'workflow-runner': { shell_steps: true } })
  const url = gw.url
  const code = ((await (await fetch(`${url}/admin/paircode/new`, { method: 'POST' })).json()) as any).pairing_code
  const token = (
    (await (
      await fetch(`${url}/api/pair`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code, device_name: 'restart-test' }),
      })
    ).json()) as any
  ).token
  return {
    async call(method, path, body) {
      const res = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      })
      const text = await res.text()
      return { status: res.status, body: text ? JSON.parse(text) : null }
    },
  }
}

const lines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : [])

async function runUntilWaiting(c: Awaited<ReturnType<typeof boot>>, tag: string): Promise<string> {
  const r = await c.call('POST', '/api/workflows/run/restartable', { inputs: { dir: work, tag } })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  await waitUntil(() => lines(join(work, `${tag}.wait`)).length === 1, 'the second step to start', 10_000)
  return r.body.run_id
}

async function status(c: Awaited<ReturnType<typeof boot>>, id: string, want: string[]): Promise<any> {
  const end = Date.now() + 10_000
  for (;;) {
    const r = await c.call('GET', `/api/workflows/runs/${id}`)
    if (r.status === 200 && want.includes(r.body.run?.status)) return r.body.run
    if (Date.now() > end) throw new Error(`run ${id} is ${JSON.stringify(r.body)}, not ${want}`)
    await new Promise((res) => setTimeout(res, 25))
  }
}

test('SIGKILL mid-run: the run is found at the next start and resumed from its checkpoint', { timeout: 60_000 }, async () => {
  let c = await boot()
  const saved = await c.call('POST', '/api/workflows', { name: 'restartable', description: 'restart test', definition: YAML })
  assert.equal(saved.status, 201, JSON.stringify(saved.body) + gw!.output())

  const resumed = await runUntilWaiting(c, 'a')
  await gw!.kill()
  c = await boot()
  const running = await status(c, resumed, ['running', 'failed', 'completed'])
  assert.equal(running.status, 'running', 'found at start and resumed')
  await waitUntil(() => lines(join(work, 'a.wait')).length === 2, 'the interrupted step to run again', 10_000)
  writeFileSync(join(work, 'go'), '')
  const done = await status(c, resumed, ['completed', 'failed'])
  assert.equal(done.status, 'completed', done.error)
  assert.deepEqual(lines(join(work, 'a.first')), ['ran'], 'the checkpointed step did not run again')
  assert.deepEqual(done.steps.find((s: any) => s.step_id === 'last').output_data, { got: 'one\ntwo\n' })
})
