import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { ManualClock, startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { call, waitFor } from './test-support/http.js'

// daemon mode with a hand-moved clock: the scheduler's timer is capped at poll_ms (10 ms), so
// moving the clock past a job's next_run fires it within a few ms of real time, no minute waits
const CHANNEL = fileURLToPath(new URL('./test-support/channel-fixture', import.meta.url))
const sent = () => ((globalThis as any).__revkaFixtureSent ?? []) as Array<{ to: string; text: string }>
const options = { cron: { poll_ms: 10, shell_jobs: true, delivery_retry_ms: 1 } }
const clock = new ManualClock(Date.parse('2026-12-07T10:00:30Z'))
const stateDir = mkdtempSync(join(tmpdir(), 'revka-cron-'))
let k: TestKernel
const boot = () => startTestKernel({ plugins: ['cron', 'agent-runtime', 'status'], paths: [CHANNEL], mode: 'daemon', clock, options, stateDir, listen: true })
const api = (method: string, path: string, body?: unknown) => call(k.url!, k.token, method, path, body)
const runs = async (id: string) => (await api('GET', `/api/cron/${id}/runs`)).json.runs as any[]

before(async () => {
  k = await boot()
})
after(async () => {
  await k.stop()
  rmSync(stateDir, { recursive: true, force: true })
})

test("a job created through the API fires in daemon mode: one run recorded with the agent's answer", async () => {
  const j = (await api('POST', '/api/cron', { schedule: '*/5 * * * *', prompt: 'check the queue', name: 'q' })).json.job
  assert.equal((await api('GET', '/api/status')).json.cron.scheduler, 'running')
  await new Promise((r) => setTimeout(r, 60))
  assert.deepEqual(await runs(j.id), [], 'not due yet: nothing ran')
  clock.advance(5 * 60_000) // 10:05:30
  const [run] = await waitFor('the run', async () => {
    const r = await runs(j.id)
    return r.length ? r : undefined
  })
  assert.equal(run.status, 'ok')
  assert.equal(run.job_id, j.id)
  assert.match(run.output, /check the queue/) // the offline responder quotes the prompt
  assert.equal(typeof run.id, 'number')
  assert.equal(run.started_at, new Date(clock.nowMs).toISOString())
  const listed = (await api('GET', '/api/cron')).json.jobs.find((x: any) => x.id === j.id)
  assert.equal(listed.last_status, 'ok')
  assert.equal(listed.next_run, '2026-12-07T10:10:00.000Z')
  const audit = readFileSync(join(stateDir, 'kernel', 'audit', 'audit.log'), 'utf8')
  assert.match(audit, new RegExp(`"command":"cron\\.run ${j.id} \\(agent\\)"`))
  const health = await k.inject({ url: '/health' })
  assert.equal(health.json().runtime.components.scheduler.status, 'ok')
  await api('DELETE', `/api/cron/${j.id}`)
})

test('disabled jobs do not fire; re-enabled they fire at their next time, not for the missed ones', async () => {
  const j = (await api('POST', '/api/cron', { schedule: '* * * * *', prompt: 'each minute' })).json.job
  await api('PATCH', `/api/cron/${j.id}`, { enabled: false })
  clock.advance(3 * 60_000)
  await new Promise((r) => setTimeout(r, 80))
  assert.deepEqual(await runs(j.id), [])
  const on = await api('PATCH', `/api/cron/${j.id}`, { enabled: true })
  assert.ok(Date.parse(on.json.job.next_run) > clock.nowMs)
  clock.advance(60_000)
  await waitFor('one run', async () => (await runs(j.id)).length === 1)
  await new Promise((r) => setTimeout(r, 60))
  assert.equal((await runs(j.id)).length, 1)
  await api('DELETE', `/api/cron/${j.id}`)
})

test('delete_after_run removes an API-created job after its first successful run', async () => {
  const j = (await api('POST', '/api/cron', { schedule: '* * * * *', prompt: 'once', delete_after_run: true })).json.job
  assert.equal(j.delete_after_run, true)
  clock.advance(60_000)
  await waitFor('the job to go', async () => !(await api('GET', '/api/cron')).json.jobs.some((x: any) => x.id === j.id))
  assert.equal((await api('GET', `/api/cron/${j.id}/runs`)).status, 404)
})

test('a shell job runs its argv without a shell, output capped at 64 KiB, delivered to a channel', async () => {
  const big = `process.stdout.write("x".repeat(200000)); process.stdout.write("$(touch /tmp/never) ; echo pwned")`
  const j = (
    await api('POST', '/api/cron', {
      schedule: '* * * * *',
      job_type: 'shell',
      argv: [process.execPath, '-e', big],
      delivery: { mode: 'announce', channel: 'fixture', to: 'ops-room', best_effort: false },
    })
  ).json.job
  assert.equal(j.job_type, 'shell')
  clock.advance(60_000)
  const [run] = await waitFor('the shell run', async () => {
    const r = await runs(j.id)
    return r.length ? r : undefined
  })
  assert.equal(run.status, 'ok')
  assert.match(run.output, /^status=0\nstdout:\nxxxx/)
  assert.ok(Buffer.byteLength(run.output) <= 16 * 1024 + 20, 'the run row keeps 16 KiB, as the reference')
  assert.match(run.output, /\.\.\.\[truncated\]$/)
  const d = sent().filter((s) => s.to === 'ops-room')
  assert.equal(d.length, 1)
  assert.ok(d[0].text.length < 64 * 1024 + 200, `delivered ${d[0].text.length} chars`)
  assert.match(d[0].text, /output capped at 65536 bytes/)
  assert.doesNotMatch(d[0].text, /pwned\n/)
  await api('DELETE', `/api/cron/${j.id}`)
})

test('a failed delivery fails the run unless best_effort', async () => {
  const strict = (
    await api('POST', '/api/cron', {
      schedule: '* * * * *',
      prompt: 'hello',
      delivery: { mode: 'announce', channel: 'fixture', to: 'fail', best_effort: false },
    })
  ).json.job
  const lax = (await api('POST', '/api/cron', { schedule: '* * * * *', prompt: 'hello', delivery: { mode: 'announce', channel: 'fixture', to: 'fail' } })).json
    .job
  clock.advance(60_000)
  const [a] = await waitFor('strict run', async () => {
    const r = await runs(strict.id)
    return r.length ? r : undefined
  })
  const [b] = await waitFor('lax run', async () => {
    const r = await runs(lax.id)
    return r.length ? r : undefined
  })
  assert.equal(a.status, 'error')
  assert.match(a.output, /delivery to fixture failed after 3 attempts/)
  assert.equal(b.status, 'ok')
  await api('DELETE', `/api/cron/${strict.id}`)
  await api('DELETE', `/api/cron/${lax.id}`)
})

test('run history is pruned to max_run_history', async () => {
  await api('PATCH', '/api/cron/settings', { max_run_history: 2 })
  const j = (await api('POST', '/api/cron', { schedule: '* * * * *', prompt: 'prune me' })).json.job
  for (let i = 1; i <= 4; i++) {
    clock.advance(60_000)
    await waitFor(
      `run ${i}`,
      async () => (await api('GET', '/api/cron')).json.jobs.find((x: any) => x.id === j.id)?.last_run === new Date(clock.nowMs).toISOString(),
    )
  }
  const r = await runs(j.id)
  assert.equal(r.length, 2)
  assert.ok(r[0].id > r[1].id, 'newest first')
  await api('PATCH', '/api/cron/settings', { max_run_history: 50 })
  await api('DELETE', `/api/cron/${j.id}`)
})

test('catch-up after downtime runs a missed job once, not once per missed tick; a second daemon is refused', async () => {
  const j = (await api('POST', '/api/cron', { schedule: '* * * * *', prompt: 'catch me' })).json.job
  await assert.rejects(boot(), /REVKA_ERR_DAEMON_RUNNING[\s\S]*another revka daemon \(pid \d+\)/)
  await k.stop()
  clock.advance(60 * 60_000) // an hour down: 60 missed minutes
  k = await boot()
  await waitFor('the catch-up run', async () => (await runs(j.id)).length > 0)
  await new Promise((r) => setTimeout(r, 100))
  assert.equal((await runs(j.id)).length, 1)
  const listed = (await api('GET', '/api/cron')).json.jobs.find((x: any) => x.id === j.id)
  assert.ok(Date.parse(listed.next_run) > clock.nowMs)
  await api('DELETE', `/api/cron/${j.id}`)
})
