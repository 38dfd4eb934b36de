/**
 * Issue 18: cron jobs and run history on the cluster's PostgreSQL. Two daemon nodes: a job
 * created on A is listed on B; edited on B, A sees the edit (and both schedulers fire it, once
 * per fire time); its run history reads the same on both and counts exactly the lines the job
 * wrote, and is pruned to the limit set on either; deleted on A, it stops on B. A workflow's
 * cron trigger saved on A is a job on B by the time the save answers. The `max_jobs` quota holds
 * across nodes under concurrent creates and for workflow triggers (a save without room is 507 and
 * stores nothing), the jobs survive a node's restart, and a lost PostgreSQL is 503
 * `cluster_unavailable` on the cron routes until it is back.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { killAllChildren, type GatewayChild } from '../reliability/support/gateway-child.js'
import { ROOT } from '../reliability/support/builtins.js'
import { ADMIN, bearer, engines, json, startNode, until } from './support.js'
import { appendJob } from '../../plugins/cron/test-support/cluster-jobs.js'

after(async () => {
  await killAllChildren()
})

// the suite's engines are shared by its files: other files' jobs count against this too
const MAX_JOBS = 6
const plugins = { cron: { shell_jobs: true, poll_ms: 100, max_jobs: MAX_JOBS } }
const stateA = mkdtempSync(join(tmpdir(), 'revka-cluster-cronA-'))
const stateB = mkdtempSync(join(tmpdir(), 'revka-cluster-cronB-'))
let a: GatewayChild
let b: GatewayChild

const api = (n: GatewayChild, method: string, path: string, body?: unknown) =>
  json(`${n.url}${path}`, {
    method,
    headers: { ...bearer(ADMIN), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
const jobsOn = async (n: GatewayChild) => (await api(n, 'GET', '/api/cron')).body.jobs as Array<Record<string, any>>
const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function postgres(action: 'stop' | 'start'): void {
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'cluster-engines.sh'), `pg-${action}`, engines().dir], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`pg-${action} failed: ${r.stderr}`)
}

test('a job created on A is listed on B, edited on B fires with one shared history, deleted on A stops on B', async () => {
  a = await startNode('cron2-a', { command: 'daemon', plugins, stateDir: stateA })
  b = await startNode('cron2-b', { command: 'daemon', plugins, stateDir: stateB })
  const out = join(mkdtempSync(join(tmpdir(), 'revka-cluster-cron2-out-')), 'runs.txt')

  // on 1 January only: nothing fires until B edits it
  const created = await api(a, 'POST', '/api/cron', appendJob(out, '0 0 1 1 *', 'made on A'))
  assert.equal(created.status, 200, JSON.stringify(created.body))
  const id = created.body.job.id as string
  const onB = (await jobsOn(b)).find((j) => j.id === id)
  assert.deepEqual(onB, created.body.job, 'B lists the job exactly as A created it')

  const edited = await api(b, 'PATCH', `/api/cron/${id}`, { name: 'edited on B', schedule: '* * * * * *' })
  assert.equal(edited.status, 200, JSON.stringify(edited.body))
  const onA = (await jobsOn(a)).find((j) => j.id === id)!
  assert.equal(onA.name, 'edited on B')
  assert.equal(onA.expression, '* * * * * *')

  // every second, on whichever node claims it (each run spawns a node process: seconds on a loaded machine)
  await until('the edited job fired a few times', async () => lines(out) >= 3, 30_000)
  assert.equal((await api(a, 'PATCH', `/api/cron/${id}`, { enabled: false })).status, 200)
  await sleep(1500) // a run that had started finishes and is recorded
  const runsA = (await api(a, 'GET', `/api/cron/${id}/runs?limit=100`)).body.runs as any[]
  const runsB = (await api(b, 'GET', `/api/cron/${id}/runs?limit=100`)).body.runs as any[]
  assert.ok(runsA.length >= 3, `runs recorded: ${runsA.length}`)
  assert.deepEqual(runsB, runsA, 'both nodes show the same run history')
  assert.equal(runsA.length, lines(out), 'one run recorded per line the job wrote: no fire ran twice or went unrecorded')

  // the history limit set on B is the one A reads and both prune to
  assert.equal((await api(b, 'PATCH', '/api/cron/settings', { max_run_history: 2 })).status, 200)
  assert.equal((await api(a, 'GET', '/api/cron/settings')).body.max_run_history, 2)

  // running again, then deleted on A: B's scheduler stops firing it
  assert.equal((await api(b, 'PATCH', `/api/cron/${id}`, { enabled: true })).status, 200)
  const before = lines(out)
  await until('it fires again', async () => lines(out) > before, 20_000)
  await until('the next fire is recorded', async () => (await api(a, 'GET', `/api/cron/${id}/runs?limit=100`)).body.runs[0]?.id > runsA[0].id)
  for (const n of [a, b]) assert.equal((await api(n, 'GET', `/api/cron/${id}/runs?limit=100`)).body.runs.length, 2, 'pruned to 2 on every node')
  assert.equal((await api(a, 'PATCH', '/api/cron/settings', { max_run_history: 50 })).status, 200)
  assert.equal((await api(a, 'DELETE', `/api/cron/${id}`)).status, 200)
  await sleep(1500) // a fire already started when it was deleted may still append its line
  const atDelete = lines(out)
  await sleep(2500)
  assert.equal(lines(out), atDelete, 'no fire after the delete, on either node')
  assert.equal((await api(b, 'GET', `/api/cron/${id}/runs`)).status, 404, 'its history went with it, on B too')
  assert.ok(!(await jobsOn(b)).some((j) => j.id === id), 'B no longer lists it')
})

test('a job still running on one node when it comes due again is not started on the other', async () => {
  // every second, each run taking 2.5 s: fires that come due meanwhile are skipped on both nodes
  const slow = await api(b, 'POST', '/api/cron', {
    name: 'slow',
    schedule: '* * * * * *',
    job_type: 'shell',
    command: 'sleep',
    argv: [process.execPath, '-e', 'setTimeout(() => {}, 2500)'],
  })
  assert.equal(slow.status, 200, JSON.stringify(slow.body))
  const id = slow.body.job.id as string
  const runs = async () => (await api(a, 'GET', `/api/cron/${id}/runs?limit=100`)).body.runs as any[]
  await until('three runs recorded', async () => (await runs()).length >= 3, 30_000)
  const seen = (await runs()).reverse() // oldest first
  assert.equal((await api(a, 'DELETE', `/api/cron/${id}`)).status, 200)
  for (let i = 1; i < seen.length; i++) {
    assert.ok(
      Date.parse(seen[i].started_at) >= Date.parse(seen[i - 1].finished_at),
      `run ${i} started ${seen[i].started_at}, before run ${i - 1} finished at ${seen[i - 1].finished_at}`,
    )
  }
})

/** a workflow YAML named `name` with one `triggers[].cron` entry per expression */
const workflowYaml = (name: string, crons: string[]) =>
  [
    `name: ${name}`,
    'description: cron triggers in a cluster',
    'triggers:',
    ...crons.map((c) => `  - cron: "${c}"`),
    'steps:',
    '  - id: gather',
    '    type: agent',
    '    agent:',
    '      prompt: gather things',
    '',
  ].join('\n')
const workflowsOn = async (n: GatewayChild) => (await api(n, 'GET', '/api/workflows')).body.workflows as Array<Record<string, any>>

test("a workflow's cron trigger saved on A is a job B lists when the save answers; deleting the workflow on A removes it from B at once", async () => {
  const saved = await api(a, 'POST', '/api/workflows', { name: 'Nightly', description: 'nightly', definition: workflowYaml('Nightly', ['0 3 * * *']) })
  assert.equal(saved.status, 201, JSON.stringify(saved.body))
  // the sync has committed before the save answers: no waiting
  assert.ok(
    (await jobsOn(b)).some((j) => j.id === '__wf_cron_nightly_0' && j.expression === '0 3 * * *' && j.source === 'workflow'),
    'B lists the trigger job',
  )
  const deleted = await api(a, 'DELETE', '/api/workflows/Revka/Workflows/nightly.workflow')
  assert.equal(deleted.status, 204, JSON.stringify(deleted.body))
  assert.ok(!(await jobsOn(b)).some((j) => j.id.startsWith('__wf_cron_nightly_')), 'B no longer lists it')
})

test('max_jobs counts across nodes: concurrent creates on A and B stop at the quota; the jobs survive a restart', async () => {
  const far = { schedule: '0 0 1 1 *', prompt: 'new year' }
  const existing = (await jobsOn(a)).map((j) => j.id as string)
  const room = MAX_JOBS - existing.length
  assert.ok(room >= 2, `room for the test: ${room}`)
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => api(i % 2 ? b : a, 'POST', '/api/cron', { ...far, name: `q${i}` })))
  const ok = answers.filter((r) => r.status === 200)
  const refused = answers.filter((r) => r.status === 507)
  assert.equal(ok.length, room, answers.map((r) => r.status).join(','))
  assert.equal(refused.length, 10 - room)
  for (const r of refused) assert.equal(r.body.code, 'cron_quota_exceeded')
  const ids = [...existing, ...ok.map((r) => r.body.job.id as string)].sort()
  assert.deepEqual((await jobsOn(a)).map((j) => j.id).sort(), ids)
  assert.deepEqual((await jobsOn(b)).map((j) => j.id).sort(), ids)
  assert.equal((await api(b, 'POST', '/api/cron', far)).status, 507, 'still full from B')

  a.signal('SIGTERM')
  await a.exited
  a = await startNode('cron2-a', { command: 'daemon', plugins, stateDir: stateA })
  assert.deepEqual((await jobsOn(a)).map((j) => j.id).sort(), ids, 'A lists them after its restart')
  assert.equal((await api(b, 'DELETE', `/api/cron/${ok[0].body.job.id}`)).status, 200)
  assert.equal((await api(a, 'POST', '/api/cron', far)).status, 200, 'a freed slot is usable from the other node')
})

test('max_jobs counts the cluster for workflow triggers: a save on A with no room is 507 and B sees nothing; with room, B lists the trigger when the save answers', async () => {
  const full = (await jobsOn(b)).map((j) => `${j.id} ${j.expression}`).sort()
  assert.equal(full.length, MAX_JOBS, 'the previous test left the cluster full')
  const hourly = (crons: string[]) => ({ name: 'Hourly', description: 'hourly', definition: workflowYaml('Hourly', crons) })

  const refused = await api(a, 'POST', '/api/workflows', hourly(['0 * * * *']))
  assert.deepEqual([refused.status, refused.body.code], [507, 'cron_quota_exceeded'], JSON.stringify(refused.body))
  assert.ok(!(await workflowsOn(b)).some((w) => w.item_name === 'hourly'), 'no workflow stored: B does not list it')
  assert.deepEqual((await jobsOn(b)).map((j) => `${j.id} ${j.expression}`).sort(), full, 'no job changed')

  // one of the previous test's jobs deleted through B: the same save on A now fits, and B lists its trigger when A answers
  const freed = (await jobsOn(b)).find((j) => /^q\d$/.test(j.name))!.id
  assert.equal((await api(b, 'DELETE', `/api/cron/${freed}`)).status, 200)
  const saved = await api(a, 'POST', '/api/workflows', hourly(['0 * * * *']))
  assert.equal(saved.status, 201, JSON.stringify(saved.body))
  assert.ok(
    (await jobsOn(b)).some((j) => j.id === '__wf_cron_hourly_0' && j.expression === '0 * * * *'),
    'B lists the trigger job',
  )
  assert.equal((await workflowsOn(b)).find((w) => w.item_name === 'hourly')?.revision_number, 1)

  // full again: growing it on A is refused and leaves revision 1 and its one job on B
  const grown = await api(a, 'PUT', '/api/workflows/Revka/Workflows/hourly.workflow', hourly(['0 * * * *', '30 * * * *']))
  assert.deepEqual([grown.status, grown.body.code], [507, 'cron_quota_exceeded'], JSON.stringify(grown.body))
  const onB = (await workflowsOn(b)).find((w) => w.item_name === 'hourly')!
  assert.equal(onB.revision_number, 1, 'no revision stored')
  assert.deepEqual(
    (await jobsOn(b)).filter((j) => j.id.startsWith('__wf_cron_hourly_')).map((j) => j.id),
    ['__wf_cron_hourly_0'],
  )
  assert.equal((await jobsOn(b)).length, MAX_JOBS)
})

test('a lost PostgreSQL is 503 cluster_unavailable on the cron routes, and they recover when it is back', async () => {
  postgres('stop')
  try {
    for (const [n, method, path, body] of [
      [a, 'GET', '/api/cron', undefined],
      [b, 'POST', '/api/cron', { schedule: '0 0 1 1 *', prompt: 'x' }],
      // the trigger check before a save: the engine's 503, not a quota refusal
      [a, 'POST', '/api/workflows', { name: 'Lost', description: 'x', definition: workflowYaml('Lost', ['0 4 * * *']) }],
    ] as const) {
      const r = await api(n, method, path, body)
      assert.equal(r.status, 503, `${method} ${path}: ${JSON.stringify(r.body)}`)
      assert.equal(r.body.code, 'cluster_unavailable')
      assert.ok(Number(r.headers.get('retry-after')) > 0)
    }
  } finally {
    postgres('start')
  }
  await until(
    'the cron routes answer again on both nodes',
    async () => (await api(a, 'GET', '/api/cron')).status === 200 && (await api(b, 'GET', '/api/cron')).status === 200,
    30_000,
  )
  assert.equal((await jobsOn(b)).length, MAX_JOBS, 'nothing lost: the store is as full as before')
})
