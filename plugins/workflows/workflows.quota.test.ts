import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { rawJson, startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { saveBody, wfYaml } from './test-support/fixtures.js'
import { modelConfig, startFakeModel } from './test-support/fake-model.js'
import { E2E_PLUGINS, OFFLINE, REVIEWED_NOTE, waitStatus } from './test-support/reviewed-note.js'

// the run quotas a client meets through the routes, with the real runner behind them
const kernels: TestKernel[] = []
after(async () => {
  for (const k of kernels) await k.stop()
})
const boot = async (o: Parameters<typeof startTestKernel>[0]) => {
  const k = await startTestKernel({ plugins: E2E_PLUGINS, listen: true, ...o })
  kernels.push(k)
  return k
}
const as = (k: TestKernel, token: string | null) => (method: string, path: string, body?: unknown) => rawJson(k.url!, method, path, { token, body })

test('a credential with max_active_runs_per_credential unfinished runs gets 429; another credential does not; an answered or cancelled run frees the slot', async () => {
  const k = await boot({ config: OFFLINE, options: { workflows: { max_active_runs_per_credential: 2 } } })
  const a = as(k, k.token)
  const b = as(k, k.pairDevice('second').token)
  assert.equal((await a('POST', '/api/workflows', saveBody('Reviewed Note', REVIEWED_NOTE))).status, 201)
  const start = async (call: typeof a) => await call('POST', '/api/workflows/run/reviewed-note', { inputs: { topic: 'x' } })
  const paused = async (call: typeof a) => {
    const r = await start(call)
    assert.equal(r.status, 200, JSON.stringify(r.body))
    await waitStatus(() => call('GET', `/api/workflows/runs/${r.body.run_id}`), ['paused'])
    return r.body.run_id as string
  }
  const [r1, r2] = [await paused(a), await paused(a)]
  const total = (await a('GET', '/api/workflows/runs')).body.count

  const over = await start(a)
  assert.equal(over.status, 429)
  assert.equal(over.headers['retry-after'], '5')
  assert.deepEqual([over.body.code, over.body.retry_after], ['run_quota_exceeded', 5])
  assert.match(over.body.error, /2 workflow runs that have not finished \(plugins\.workflows\.options\.max_active_runs_per_credential\)/)
  assert.equal((await a('GET', '/api/workflows/runs')).body.count, total, 'the refused request started no run')

  const other = await paused(b)
  assert.ok(other, 'another credential still starts runs')

  // an approved run that finishes gives its slot back; so does a cancelled one
  assert.equal((await a('POST', `/api/workflows/runs/${r1}/approve`, { approved: true })).status, 200)
  await waitStatus(() => a('GET', `/api/workflows/runs/${r1}`), ['completed'])
  const r3 = await paused(a)
  assert.equal((await start(a)).status, 429)
  assert.equal((await a('POST', `/api/workflows/runs/${r2}/cancel`)).status, 200)

  // retry takes a slot too: at the cap, restarting the cancelled run is refused and it stays cancelled
  await paused(a)
  const retry = await a('POST', `/api/workflows/runs/${r2}/retry`)
  assert.deepEqual([retry.status, retry.body.code], [429, 'run_quota_exceeded'])
  assert.equal((await a('GET', `/api/workflows/runs/${r2}`)).body.run.status, 'cancelled')
  assert.equal((await a('POST', `/api/workflows/runs/${r3}/cancel`)).status, 200)
  assert.equal((await a('POST', `/api/workflows/runs/${r2}/retry`)).status, 200)
})

test("the runner's max_concurrent_runs: while one run executes, a second is 429 through the route and nothing is recorded; once it ends, it starts", async () => {
  let release!: () => void
  const held = new Promise<void>((r) => {
    release = r
  })
  const model = await startFakeModel(async () => {
    await held
    return 'done'
  })
  try {
    const k = await boot({ config: modelConfig(model.baseUrl), options: { 'workflow-runner': { max_concurrent_runs: 1 } } })
    const call = as(k, k.token)
    assert.equal((await call('POST', '/api/workflows', saveBody('Solo', wfYaml('Solo')))).status, 201)
    const first = await call('POST', '/api/workflows/run/solo')
    assert.equal(first.status, 200)
    // the first run's agent step is now waiting on the model: it is executing
    for (let i = 0; i < 500 && !model.requests.length; i++) await new Promise((r) => setTimeout(r, 10))
    assert.equal(model.requests.length, 1)

    const second = await call('POST', '/api/workflows/run/solo')
    assert.deepEqual([second.status, second.body.code, second.headers['retry-after']], [429, 'run_quota_exceeded', '5'])
    assert.match(second.body.error, /max_concurrent_runs 1/)
    assert.equal((await call('GET', '/api/workflows/runs')).body.count, 1, 'no run recorded for the refusal')

    release()
    const done = await waitStatus(() => call('GET', `/api/workflows/runs/${first.body.run_id}`), ['completed', 'failed'])
    assert.equal(done.status, 'completed', done.error)
    const third = await call('POST', '/api/workflows/run/solo')
    assert.equal(third.status, 200)
    await waitStatus(() => call('GET', `/api/workflows/runs/${third.body.run_id}`), ['completed'])
  } finally {
    release()
    await model.close()
  }
})
