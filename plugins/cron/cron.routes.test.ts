import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ManualClock, startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { call } from './test-support/http.js'

// gateway mode (`revka gateway`): the routes manage jobs, nothing fires
const clock = new ManualClock(Date.parse('2026-12-07T10:00:30Z'))
let k: TestKernel
let url: string
const api = (method: string, path: string, body?: unknown, token = k.token) => call(url, token, method, path, body)

before(async () => {
  k = await startTestKernel({
    plugins: ['cron', 'agent-runtime', 'status'],
    clock,
    listen: true,
    options: { cron: { max_jobs_per_credential: 4, poll_ms: 10 } },
  })
  url = k.url!
})
after(async () => {
  await k.stop()
})

test("create an agent job: the contract's CronJob shape, listed, durable in the plugin's private dir", async () => {
  const r = await api('POST', '/api/cron', { schedule: '*/5 * * * *', prompt: 'summarise the inbox', name: 'inbox', model: 'm-1', allowed_tools: ['canvas'] })
  assert.equal(r.status, 200)
  assert.equal(r.json.status, 'ok')
  const j = r.json.job
  assert.equal(j.job_type, 'agent')
  assert.equal(j.expression, '*/5 * * * *')
  assert.deepEqual(j.schedule, { kind: 'cron', expr: '*/5 * * * *', tz: null })
  assert.equal(j.command, '')
  assert.equal(j.prompt, 'summarise the inbox')
  assert.equal(j.session_target, 'isolated')
  assert.deepEqual(j.delivery, { mode: 'none', channel: null, to: null, best_effort: true })
  assert.deepEqual(j.allowed_tools, ['canvas'])
  assert.equal(j.source, 'imperative')
  assert.equal(j.next_run, '2026-12-07T10:05:00.000Z')
  assert.equal(j.last_run, null)
  const list = await api('GET', '/api/cron')
  assert.deepEqual(
    list.json.jobs.map((x: any) => x.id),
    [j.id],
  )
  assert.ok(readFileSync(join(k.stateDir, 'plugins', 'cron', 'jobs.db')).length > 0)
  await api('DELETE', `/api/cron/${j.id}`)
})

test('in gateway mode nothing fires, and /api/status says the scheduler is off', async () => {
  const j = (await api('POST', '/api/cron', { schedule: '* * * * *', prompt: 'tick' })).json.job
  clock.advance(10 * 60_000)
  await new Promise((r) => setTimeout(r, 150)) // many poll periods of a scheduler, had one run
  assert.deepEqual((await api('GET', `/api/cron/${j.id}/runs`)).json.runs, [])
  assert.equal((await api('GET', '/api/cron')).json.jobs[0].last_run, null)
  const st = await api('GET', '/api/status')
  assert.equal(st.json.cron.scheduler, 'off')
  assert.match(st.json.cron.reason, /gateway mode/)
  await api('DELETE', `/api/cron/${j.id}`)
})

test("timezone and a seconds field are accepted; a bad expression is 400 with the parser's message", async () => {
  const tz = await api('POST', '/api/cron', { schedule: '0 9 * * *', timezone: 'Europe/Berlin', prompt: 'morning' })
  assert.equal(tz.status, 200)
  assert.equal(tz.json.job.schedule.tz, 'Europe/Berlin')
  assert.equal(new Date(tz.json.job.next_run).getUTCHours(), 8) // 09:00 CET
  const sec = await api('POST', '/api/cron', { schedule: '*/15 * * * * *', prompt: 'often' })
  assert.equal(sec.status, 200)
  for (const schedule of ['not a cron', '61 * * * *', '* * *']) {
    const r = await api('POST', '/api/cron', { schedule, prompt: 'x' })
    assert.equal(r.status, 400, schedule)
    assert.equal(r.json.code, 'invalid_schedule')
    assert.match(r.json.error, /CronPattern|Invalid/, r.json.error)
  }
  const badTz = await api('POST', '/api/cron', { schedule: '0 9 * * *', timezone: 'Mars/Olympus', prompt: 'x' })
  assert.equal(badTz.status, 400)
  assert.match(badTz.json.error, /Mars\/Olympus/)
  await api('DELETE', `/api/cron/${tz.json.job.id}`)
  await api('DELETE', `/api/cron/${sec.json.job.id}`)
})

test('refusals: missing prompt/command, shell jobs off (naming the setting), workflow jobs, bad delivery — nothing stored', async () => {
  const cases: Array<[unknown, string, RegExp]> = [
    [{ schedule: '* * * * *', job_type: 'agent' }, 'missing_prompt', /Missing 'prompt' for agent job/],
    [{ schedule: '* * * * *', command: 'echo hi' }, 'shell_jobs_disabled', /plugins\.cron\.options\.shell_jobs/],
    [{ schedule: '* * * * *', job_type: 'shell', command: 'rm -rf /' }, 'shell_jobs_disabled', /shell_jobs/],
    [{ schedule: '* * * * *', job_type: 'workflow' }, 'missing_command', /the workflow's name/],
    [
      { schedule: '* * * * *', prompt: 'x', delivery: { mode: 'announce', channel: 'telegram', to: '1' } },
      'invalid_delivery',
      /Failed to add cron job: unsupported delivery channel 'telegram'/,
    ],
    [{ schedule: '* * * * *', prompt: 'x', delivery: { mode: 'shout' } }, 'invalid_delivery', /unsupported delivery mode/],
    [{ prompt: 'x' }, 'missing_schedule', /schedule/],
  ]
  for (const [body, code, msg] of cases) {
    const r = await api('POST', '/api/cron', body)
    assert.equal(r.status, 400, JSON.stringify(body))
    assert.equal(r.json.code, code)
    assert.match(r.json.error, msg)
  }
  assert.deepEqual((await api('GET', '/api/cron')).json.jobs, [])
})

test('patch (name, schedule, prompt via command, enabled) and delete; unknown ids are 404', async () => {
  const j = (await api('POST', '/api/cron', { schedule: '0 * * * *', prompt: 'hourly' })).json.job
  const p = await api('PATCH', `/api/cron/${j.id}`, { name: 'renamed', schedule: '30 * * * *', command: 'new prompt text' })
  assert.equal(p.status, 200)
  assert.equal(p.json.job.name, 'renamed')
  assert.equal(p.json.job.expression, '30 * * * *')
  assert.equal(p.json.job.prompt, 'new prompt text') // the dashboard edits agent prompts through `command`
  assert.equal(new Date(p.json.job.next_run).getUTCMinutes(), 30)
  assert.equal((await api('PATCH', `/api/cron/${j.id}`, { schedule: 'nope' })).status, 400)
  const off = await api('PATCH', `/api/cron/${j.id}`, { enabled: false })
  assert.equal(off.json.job.enabled, false)
  assert.equal((await api('GET', '/api/cron')).json.jobs[0].enabled, false)
  assert.equal((await api('PATCH', '/api/cron/nope', { name: 'x' })).status, 404)
  const del404 = await api('DELETE', '/api/cron/nope')
  assert.equal(del404.status, 404)
  assert.match(del404.json.error, /Cron job not found: nope/)
  assert.equal((await api('GET', '/api/cron/nope/runs')).status, 404)
  assert.deepEqual((await api('DELETE', `/api/cron/${j.id}`)).json, { status: 'ok' })
  assert.equal((await api('DELETE', `/api/cron/${j.id}`)).status, 404)
  assert.deepEqual((await api('GET', '/api/cron')).json.jobs, [])
  // every change is on the audit chain with who made it
  const audit = readFileSync(join(k.stateDir, 'kernel', 'audit', 'audit.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
  for (const verb of ['create', 'update', 'delete']) {
    const e = audit.find((x) => x.action?.command === `cron.${verb} ${j.id}${verb === 'create' ? ' (agent)' : ''}`)
    assert.ok(e, `cron.${verb} audited`)
    assert.equal(e.actor.channel, 'cron')
    assert.ok(e.actor.user_id, 'the device that did it')
  }
})

test("a credential's job quota: the 5th job of one token is 507, another token still creates", async () => {
  const ids: string[] = []
  for (let i = 0; i < 4; i++) ids.push((await api('POST', '/api/cron', { schedule: '0 0 * * *', prompt: `p${i}` })).json.job.id)
  const over = await api('POST', '/api/cron', { schedule: '0 0 * * *', prompt: 'one too many' })
  assert.equal(over.status, 507)
  assert.equal(over.json.code, 'cron_quota_exceeded')
  assert.match(over.json.error, /max_jobs_per_credential/)
  assert.equal((await api('GET', '/api/cron')).json.jobs.length, 4)
  const other = k.pairDevice('other').token
  assert.equal((await api('POST', '/api/cron', { schedule: '0 0 * * *', prompt: 'mine' }, other)).status, 200)
  for (const id of ids) await api('DELETE', `/api/cron/${id}`)
})

test('settings: defaults, PATCH saves [cron] to config.toml and ignores unknown keys; no token is 401', async () => {
  assert.deepEqual((await api('GET', '/api/cron/settings')).json, { enabled: true, catch_up_on_startup: true, max_run_history: 50 })
  const r = await api('PATCH', '/api/cron/settings', { catch_up_on_startup: false, max_run_history: 7, junk: 1 })
  assert.deepEqual(r.json, { status: 'ok', enabled: true, catch_up_on_startup: false, max_run_history: 7 })
  const toml = readFileSync(join(k.stateDir, 'config.toml'), 'utf8')
  assert.match(toml, /\[cron\][\s\S]*catch_up_on_startup = false/)
  assert.match(toml, /max_run_history = 7/)
  assert.equal((await api('PATCH', '/api/cron/settings', { max_run_history: 0 })).status, 400)
  assert.equal((await api('GET', '/api/cron', undefined, null)).status, 401)
  assert.equal((await api('POST', '/api/cron', { schedule: '* * * * *', prompt: 'x' }, 'rk_wrong')).status, 401)
})
