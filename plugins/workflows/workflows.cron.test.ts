import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock, pluginStateSnapshot, rawJson, startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { DOUBLE_DIR, double, saveBody, wfYaml } from './test-support/fixtures.js'

const kernels: TestKernel[] = []
after(async () => {
  for (const k of kernels) await k.stop()
})
const boot = async (o: Parameters<typeof startTestKernel>[0] = {}) => {
  const k = await startTestKernel({ plugins: ['store', 'workflows', 'cron', 'agent-runtime'], paths: [DOUBLE_DIR], listen: true, ...o })
  kernels.push(k)
  return k
}
const caller = (k: TestKernel) => (method: string, path: string, body?: unknown) => rawJson(k.url!, method, path, { token: k.token, body })

test("a workflow's cron triggers become its own jobs; saving, deprecating or deleting X never touches Y's jobs", async () => {
  const k = await boot()
  const call = caller(k)
  const jobs = async (prefix: string) =>
    (await call('GET', '/api/cron')).body.jobs.filter((j: any) => j.id.startsWith(prefix)).sort((a: any, b: any) => a.id.localeCompare(b.id))
  assert.equal((await call('POST', '/api/workflows', saveBody('Alpha', wfYaml('Alpha', { cron: ['0 9 * * *', '30 18 * * 1-5'] })))).status, 201)
  assert.equal((await call('POST', '/api/workflows', saveBody('Beta', wfYaml('Beta', { cron: ['*/15 * * * *'] })))).status, 201)
  const manual = await call('POST', '/api/cron', { schedule: '0 0 * * *', job_type: 'workflow', command: 'alpha', name: 'by hand' })
  assert.equal(manual.status, 200, JSON.stringify(manual.body))

  const alpha = await jobs('__wf_cron_alpha_')
  assert.deepEqual(
    alpha.map((j: any) => [j.id, j.expression, j.job_type, j.source, j.command, j.name]),
    [
      ['__wf_cron_alpha_0', '0 9 * * *', 'workflow', 'workflow', 'alpha', 'Workflow: alpha'],
      ['__wf_cron_alpha_1', '30 18 * * 1-5', 'workflow', 'workflow', 'alpha', 'Workflow: alpha'],
    ],
  )
  const beta = await jobs('__wf_cron_beta_')
  assert.deepEqual(
    beta.map((j: any) => j.id),
    ['__wf_cron_beta_0'],
  )

  // X saved with one trigger, then none; deprecated and restored; deleted — Y's job stays byte for byte
  await call('PUT', '/api/workflows/Revka/Workflows/alpha.workflow', saveBody('Alpha', wfYaml('Alpha', { cron: ['0 10 * * *'] })))
  assert.deepEqual(
    (await jobs('__wf_cron_alpha_')).map((j: any) => [j.id, j.expression]),
    [['__wf_cron_alpha_0', '0 10 * * *']],
  )
  assert.deepEqual(await jobs('__wf_cron_beta_'), beta)
  await call('PUT', '/api/workflows/Revka/Workflows/alpha.workflow', saveBody('Alpha', wfYaml('Alpha')))
  assert.deepEqual(await jobs('__wf_cron_alpha_'), [])
  await call('PUT', '/api/workflows/Revka/Workflows/alpha.workflow', saveBody('Alpha', wfYaml('Alpha', { cron: ['0 11 * * *'] })))
  await call('POST', '/api/workflows/deprecate', { kref: 'kref://Revka/Workflows/alpha.workflow', deprecated: true })
  assert.deepEqual(await jobs('__wf_cron_alpha_'), [])
  await call('POST', '/api/workflows/deprecate', { kref: 'kref://Revka/Workflows/alpha.workflow', deprecated: false })
  assert.deepEqual(
    (await jobs('__wf_cron_alpha_')).map((j: any) => j.expression),
    ['0 11 * * *'],
    'restoring re-syncs',
  )
  await call('DELETE', '/api/workflows/Revka/Workflows/alpha.workflow')
  assert.deepEqual(await jobs('__wf_cron_alpha_'), [])
  assert.deepEqual(await jobs('__wf_cron_beta_'), beta)
  const hand = (await call('GET', '/api/cron')).body.jobs.find((j: any) => j.id === manual.body.job.id)
  assert.equal(hand.source, 'imperative', "a job made by hand for the same workflow is not the sync's to remove")
})

test('more than 20 cron triggers: the save is refused with the field named, and nothing is stored or scheduled', async () => {
  const k = await boot()
  const call = caller(k)
  const store = await pluginStateSnapshot(k.stateDir, 'store')
  const cronJobs = (await call('GET', '/api/cron')).body.jobs.length
  const many = Array.from({ length: 21 }, (_, i) => `${i} * * * *`)
  const r = await call('POST', '/api/workflows', saveBody('Noisy', wfYaml('Noisy', { cron: many })))
  assert.equal(r.status, 400)
  assert.deepEqual(r.body.errors.at(-1), { message: 'a workflow may have at most 20 cron triggers (this one has 21)', severity: 'error', field: 'triggers' })
  assert.equal(await pluginStateSnapshot(k.stateDir, 'store'), store)
  assert.equal((await call('GET', '/api/cron')).body.jobs.length, cronJobs)
})

test("a scheduler without room for a workflow's triggers (max_jobs) refuses the save with 507: nothing stored, no job changed", async () => {
  const k = await boot({ options: { cron: { max_jobs: 3 } } })
  const call = caller(k)
  const ids = async () => (await call('GET', '/api/cron')).body.jobs.map((j: any) => `${j.id} ${j.expression}`).sort()
  assert.equal((await call('POST', '/api/workflows', saveBody('Alpha', wfYaml('Alpha', { cron: ['0 9 * * *', '0 10 * * *'] })))).status, 201)
  const jobs = await ids()
  const store = await pluginStateSnapshot(k.stateDir, 'store')

  const beta = await call('POST', '/api/workflows', saveBody('Beta', wfYaml('Beta', { cron: ['0 1 * * *', '0 2 * * *'] })))
  assert.equal(beta.status, 507)
  assert.equal(beta.body.code, 'cron_quota_exceeded')
  assert.match(
    beta.body.error,
    /^The workflow was not saved: the gateway's 3 cron jobs \(plugins\.cron\.options\.max_jobs\) leave no room for beta's 2 new cron triggers$/,
  )
  const grow = await call(
    'PUT',
    '/api/workflows/Revka/Workflows/alpha.workflow',
    saveBody('Alpha', wfYaml('Alpha', { cron: ['0 9 * * *', '0 10 * * *', '0 11 * * *', '0 12 * * *'] })),
  )
  assert.deepEqual([grow.status, grow.body.code], [507, 'cron_quota_exceeded'])
  assert.equal(await pluginStateSnapshot(k.stateDir, 'store'), store, 'neither save stored a revision')
  assert.deepEqual(await ids(), jobs)

  // changing a trigger in place needs no new room; one more still fits
  const edit = await call(
    'PUT',
    '/api/workflows/Revka/Workflows/alpha.workflow',
    saveBody('Alpha', wfYaml('Alpha', { cron: ['0 9 * * *', '0 20 * * *', '0 21 * * *'] })),
  )
  assert.equal(edit.status, 200)
  assert.deepEqual(await ids(), ['__wf_cron_alpha_0 0 9 * * *', '__wf_cron_alpha_1 0 20 * * *', '__wf_cron_alpha_2 0 21 * * *'])
})

test('a firing workflow job starts a run in-process through the runner service (daemon scheduler, no HTTP call)', async () => {
  const clock = new ManualClock(Date.parse('2026-12-07T10:00:30Z'))
  const k = await boot({ mode: 'daemon', clock, options: { cron: { poll_ms: 10 } } })
  const call = caller(k)
  assert.equal((await call('POST', '/api/workflows', saveBody('Nightly', wfYaml('Nightly', { cron: ['*/5 * * * *'] })))).status, 201)
  const runsBefore = double().calls.filter(([c]) => c === 'run').length
  clock.advance(5 * 60_000)
  let runs: any[] = []
  for (let i = 0; i < 250 && !runs.length; i++) {
    await new Promise((r) => setTimeout(r, 20))
    runs = (await call('GET', '/api/cron/__wf_cron_nightly_0/runs')).body.runs
  }
  assert.equal(runs.length, 1, 'the job fired once')
  assert.equal(runs[0].status, 'ok')
  assert.match(runs[0].output, /^started run 00000000-0000-4000-8000-\d{12} of workflow 'nightly'$/)
  const started = double()
    .calls.filter(([c]) => c === 'run')
    .slice(runsBefore)
    .map(([, r]) => r as any)
  assert.deepEqual(
    started.map((r) => [r.workflow, r.inputs, r.source, r.cwd.length > 0]),
    [['nightly', {}, 'cron', true]],
  )
})
