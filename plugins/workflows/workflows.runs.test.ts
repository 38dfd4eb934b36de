import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { rawJson, startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { DOUBLE_DIR, double } from './test-support/fixtures.js'
import { watchEvents } from './test-support/sse.js'

// route shapes only: the runner is the in-test double (its runs pause at once)
let k: TestKernel
before(async () => {
  k = await startTestKernel({ plugins: ['store', 'workflows', 'events'], paths: [DOUBLE_DIR], listen: true, options: { workflows: { max_runs_listed: 3 } } })
})
after(async () => {
  await k.stop()
})

const call = (method: string, path: string, body?: unknown) => rawJson(k.url!, method, path, { token: k.token, body })
const lastRun = () =>
  double()
    .calls.filter(([c]) => c === 'run')
    .at(-1)?.[1] as any

test('run/{name}: no body → inputs {}, null inputs → {}, inputs and target_step_id passed; the answer and the audit entry', async () => {
  const a = await call('POST', '/api/workflows/run/Daily%20Digest')
  assert.equal(a.status, 200)
  assert.deepEqual({ ...a.body, run_id: typeof a.body.run_id }, { run_id: 'string', workflow: 'Daily Digest', status: 'pending' })
  assert.deepEqual([lastRun().workflow, lastRun().inputs, lastRun().source], ['Daily Digest', {}, 'api'])
  await call('POST', '/api/workflows/run/daily-digest', { inputs: null })
  assert.deepEqual(lastRun().inputs, {})
  await call('POST', '/api/workflows/run/daily-digest', { inputs: { topic: 'x' }, target_step_id: 'gather' })
  assert.deepEqual([lastRun().inputs, lastRun().target_step_id], [{ topic: 'x' }, 'gather'])
  assert.equal((await call('POST', '/api/workflows/run/daily-digest', { inputs: [1] })).status, 422)
  const audit = readFileSync(join(k.stateDir, 'kernel', 'audit', 'audit.log'), 'utf8')
  assert.match(audit, new RegExp(`workflow\\.run Daily Digest \\(${a.body.run_id}\\)`))
})

test('cwd: a folder inside the workspace is passed resolved; outside it, missing, a file or a symlink out is 400 and nothing runs', async () => {
  const ws = join(k.stateDir, 'workspace')
  mkdirSync(join(ws, 'proj'), { recursive: true })
  writeFileSync(join(ws, 'file.txt'), 'x')
  symlinkSync(join(k.stateDir, 'kernel'), join(ws, 'out'))
  for (const cwd of ['proj', join(ws, 'proj'), 'proj/../proj']) {
    assert.equal((await call('POST', '/api/workflows/run/daily-digest', { cwd })).status, 200, cwd)
    assert.equal(lastRun().cwd, realpathSync(join(ws, 'proj')))
  }
  const runs = double().calls.filter(([c]) => c === 'run').length
  for (const cwd of ['/etc', '..', '../kernel', 'missing', 'file.txt', 'out', join(ws, '..'), `${ws}-evil`]) {
    const r = await call('POST', '/api/workflows/run/daily-digest', { cwd })
    assert.deepEqual([r.status, r.body.code], [400, 'invalid_cwd'], cwd)
  }
  assert.equal(double().calls.filter(([c]) => c === 'run').length, runs, 'the runner was never asked')
})

test("run/{name} refusals in the contract's shapes", async () => {
  const t = await call('POST', '/api/workflows/run/daily-digest', { target_step_id: 'nope' })
  assert.deepEqual(
    [t.status, t.body],
    [
      400,
      {
        error: "unknown_target_step: 'nope'",
        code: 'unknown_target_step',
        error_code: 'unknown_target_step',
        valid: false,
        errors: [{ message: "unknown_target_step: 'nope'", severity: 'error' }],
      },
    ],
  )
  const inv = await call('POST', '/api/workflows/run/broken')
  assert.equal(inv.status, 400)
  assert.equal(inv.body.error, 'Workflow validation failed: cannot dispatch invalid workflow')
  assert.equal(inv.body.valid, false)
  assert.ok(inv.body.errors.length)
  const ghost = await call('POST', '/api/workflows/run/ghost')
  assert.deepEqual([ghost.status, ghost.body.code], [404, 'workflow_not_found'])
})

test('runs list (limit bounded by max_runs_listed), detail, 404s, delete 204', async () => {
  const list = await call('GET', '/api/workflows/runs?limit=1000&workflow=daily-digest')
  assert.equal(list.status, 200)
  assert.deepEqual(
    double()
      .calls.filter(([c]) => c === 'listRuns')
      .at(-1),
    ['listRuns', { limit: 3, workflow: 'daily-digest' }],
  )
  assert.equal(list.body.count, list.body.runs.length)
  assert.equal((await call('GET', '/api/workflows/runs?limit=-1')).status, 400)
  const id = list.body.runs[0].run_id
  const one = await call('GET', `/api/workflows/runs/${id}`)
  assert.deepEqual([one.status, one.body.run.run_id, one.body.run.steps.length], [200, id, 1])
  const missing = await call('GET', '/api/workflows/runs/00000000-0000-4000-8000-00000000dead')
  assert.deepEqual([missing.status, missing.body.error], [404, "Run '00000000-0000-4000-8000-00000000dead' not found"])
  assert.equal((await call('DELETE', `/api/workflows/runs/${id}`)).status, 204)
  assert.equal((await call('DELETE', `/api/workflows/runs/${id}`)).status, 404)
})

test('approve → 200 and human_approval_resolved on /api/events; not paused → the runner status; runner failure → 502', async () => {
  const sse = await watchEvents(k.url!, k.token, 'human_approval_resolved,workflow_cancel')
  try {
    const { run_id } = (await call('POST', '/api/workflows/run/approvals')).body
    const ok = await call('POST', `/api/workflows/runs/${run_id}/approve`, { approved: true, feedback: 'looks good' })
    assert.deepEqual([ok.status, ok.body], [200, { status: 'ok', message: 'Workflow approved', run_id, approved: true }])
    const ev = await sse.waitFor((e) => e.type === 'human_approval_resolved')
    assert.deepEqual([ev.run_id, ev.approved, typeof ev.timestamp], [run_id, true, 'string'])
    assert.deepEqual(
      double()
        .calls.filter(([c]) => c === 'resume')
        .at(-1),
      ['resume', { id: run_id, approved: true, feedback: 'looks good' }],
    )
    const again = await call('POST', `/api/workflows/runs/${run_id}/approve`, { approved: false })
    assert.deepEqual([again.status, again.body.code], [409, 'run_not_paused'])
    assert.equal((await call('POST', `/api/workflows/runs/${run_id}/approve`, {})).status, 422)

    // the double fails ids ending in 99 with a plain error: the contract's 502
    double().runs.set('00000000-0000-4000-8000-000000000099', { run_id: '00000000-0000-4000-8000-000000000099', status: 'paused' } as any)
    const fail = await call('POST', '/api/workflows/runs/00000000-0000-4000-8000-000000000099/approve', { approved: true })
    assert.deepEqual([fail.status, fail.body.error], [502, 'Failed to resume workflow: checkpoint unreadable'])

    // cancel: 200 when cancelled, 409 already terminal, 404 unknown
    const { run_id: r2 } = (await call('POST', '/api/workflows/run/approvals')).body
    const c = await call('POST', `/api/workflows/runs/${r2}/cancel`)
    assert.deepEqual([c.status, c.body], [200, { cancelled: true, run_id: r2, status: 'cancelled', steps_completed: 0 }])
    await sse.waitFor((e) => e.type === 'workflow_cancel' && e.run_id === r2)
    const t = await call('POST', `/api/workflows/runs/${r2}/cancel`)
    assert.deepEqual([t.status, t.body.reason, t.body.code], [409, 'already_terminal', 'already_terminal'])
    const u = await call('POST', '/api/workflows/runs/unknown-run/cancel')
    assert.deepEqual([u.status, u.body.cancelled, u.body.reason], [404, false, 'not_found_or_already_finished'])
  } finally {
    sse.close()
  }
})

test('retry: the runner payload verbatim; a run that cannot be retried → 502', async () => {
  double().runs.set('failed-run-1', { run_id: 'failed-run-1', status: 'failed' } as any)
  const r = await call('POST', '/api/workflows/runs/failed-run-1/retry')
  assert.deepEqual([r.status, r.body], [200, { run_id: 'failed-run-1', status: 'running', resumed_from: 's1' }])
  const again = await call('POST', '/api/workflows/runs/failed-run-1/retry')
  assert.deepEqual([again.status, again.body.error], [502, 'Failed to retry workflow: run failed-run-1 is not failed'])
})

test("the dashboard aggregate counts the runner's runs and shows at most 5", async () => {
  for (let i = 0; i < 6; i++) await call('POST', '/api/workflows/run/many')
  const d = (await call('GET', '/api/workflows/dashboard?include_definition=false')).body.dashboard
  assert.equal(d.recent_runs.length, 5)
  assert.equal(d.total_runs, double().runs.size)
  assert.ok(d.active_runs >= 6)
  assert.ok(d.definitions.every((w: any) => w.definition === ''))
})
