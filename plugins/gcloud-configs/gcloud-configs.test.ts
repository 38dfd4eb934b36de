import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'

// the real gcloud CLI (Debian's google-cloud-sdk) against a throwaway CLOUDSDK_CONFIG
const gcloudDir = mkdtempSync(join(tmpdir(), 'revka-gcloud-'))
let k: TestKernel
let noCli: TestKernel
let capped: TestKernel
before(async () => {
  // gcloud is a Python CLI: on a loaded machine one run can take seconds, so its timeout is raised here
  k = await startTestKernel({
    plugins: ['gcloud-configs', 'pairing'],
    listen: true,
    env: { CLOUDSDK_CONFIG: gcloudDir },
    options: { 'gcloud-configs': { command_timeout_secs: 25 } },
  })
  capped = await startTestKernel({
    plugins: ['gcloud-configs', 'pairing'],
    listen: true,
    env: { CLOUDSDK_CONFIG: gcloudDir },
    options: { 'gcloud-configs': { max_configs: 2 } },
  })
  noCli = await startTestKernel({ plugins: ['gcloud-configs', 'pairing'], listen: true, env: { CLOUDSDK_CONFIG: gcloudDir, PATH: '/nonexistent' } })
})
after(async () => {
  await k.stop()
  await noCli.stop()
  await capped.stop()
  rmSync(gcloudDir, { recursive: true, force: true })
})

const call = (kk: TestKernel, method: string, body?: unknown) =>
  fetch(`${kk.url}/api/gcloud/configs`, {
    method,
    headers: { authorization: `Bearer ${kk.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
const json = (r: Response): Promise<any> => r.json()
const files = () => readdirSync(join(gcloudDir, 'configurations')).sort()

test('create a configuration, list it (no credentials in the answer), 409 on a duplicate', { timeout: 60_000 }, async () => {
  const made = await call(k, 'POST', { name: 'revka-ci', project: 'my-proj-123' })
  assert.equal(made.status, 201)
  assert.deepEqual(await json(made), { name: 'revka-ci', is_active: false, account: null, project: 'my-proj-123', run_region: null, compute_region: null })
  const list = await json(await call(k, 'GET'))
  assert.equal(list.available, true)
  assert.equal(list.error, null)
  const mine = list.configs.find((c: any) => c.name === 'revka-ci')
  assert.deepEqual(Object.keys(mine).sort(), ['account', 'compute_region', 'is_active', 'name', 'project', 'run_region'])
  assert.equal(mine.project, 'my-proj-123')
  const before = files()
  const dup = await call(k, 'POST', { name: 'revka-ci', project: 'other' })
  assert.equal(dup.status, 409)
  assert.equal((await json(dup)).code, 'gcloud_config_exists')
  assert.deepEqual(files(), before)
})

test('attack: flags smuggled as values, bad names and missing fields are 400 and gcloud never runs', { timeout: 30_000 }, async () => {
  const before = files()
  const cases: Array<[unknown, string]> = [
    [{ name: '--help', project: 'p' }, 'invalid_name'],
    [{ name: '../escape', project: 'p' }, 'invalid_name'],
    [{ name: 'x'.repeat(65), project: 'p' }, 'invalid_name'],
    [{ name: 'ok-name', project: '--impersonate-service-account=evil@x.iam' }, 'invalid_project'],
    [{ name: 'ok-name', project: 'p', account: 'a b' }, 'invalid_account'],
    [{ name: 'ok-name', project: 'p', run_region: 'EU;rm -rf' }, 'invalid_run_region'],
    [{ name: 'ok-name' }, 'project_required'],
    [{ project: 'p' }, 'name_required'],
    [[], 'invalid_body'],
  ]
  for (const [body, code] of cases) {
    const res = await call(k, 'POST', body)
    assert.equal(res.status, 400, JSON.stringify(body))
    assert.equal((await json(res)).code, code)
  }
  assert.deepEqual(files(), before, 'no configuration file appeared')
})

test('without gcloud on PATH: GET says unavailable, POST is 503 with what is missing', async () => {
  const list = await json(await call(noCli, 'GET'))
  assert.deepEqual(list, { available: false, configs: [], error: 'gcloud CLI not found on PATH' })
  const res = await call(noCli, 'POST', { name: 'x1', project: 'p' })
  assert.equal(res.status, 503)
  assert.equal(res.headers.get('retry-after'), '60')
  const body = await json(res)
  assert.equal(body.code, 'gcloud_missing')
  assert.match(body.error, /not installed/)
})

test('wrong credential is 401', async () => {
  const res = await fetch(`${k.url}/api/gcloud/configs`, { headers: { authorization: 'Bearer nope' } })
  assert.equal(res.status, 401)
})

test('quota: past max_configs a create is 429 and nothing is made', async () => {
  const before = files()
  assert.ok(before.length >= 2, 'the first test left default and revka-ci')
  const res = await call(capped, 'POST', { name: 'one-too-many', project: 'p' })
  assert.equal(res.status, 429)
  assert.equal((await json(res)).code, 'gcloud_config_quota')
  assert.deepEqual(files(), before)
})
