import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Scheduler } from './scheduler.js'
import { JobStore, type Job } from './store.js'
import { sqliteCronStore, type CronStore } from './cron-store.js'

// The scheduler over the store interface, as cluster mode drives it: a real SQLite store under a
// wrapper that plays the other node (it moves one job's fire time first, or answers slowly)
const dir = mkdtempSync(join(tmpdir(), 'revka-cron-sched-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const quiet = { error() {}, warn() {}, info() {}, debug() {} } as any

const T0 = Date.parse('2026-12-07T10:00:00Z')
function job(id: string, next: number): Job {
  return {
    id,
    name: null,
    schedule: { kind: 'cron', expr: '*/5 * * * *', tz: 'UTC' },
    command: '',
    argv: null,
    prompt: 'p',
    job_type: 'agent',
    session_target: 'isolated',
    model: null,
    allowed_tools: null,
    enabled: true,
    delivery: { mode: 'none', channel: null, to: null, best_effort: true },
    delete_after_run: false,
    source: 'imperative',
    owner: 'o',
    created_at: T0,
    next_run: next,
    last_run: null,
    last_status: null,
    last_output: null,
  }
}

async function scheduled(file: string, wrap: (s: CronStore) => CronStore) {
  const inner = sqliteCronStore(await JobStore.open(join(dir, file)))
  const ran: Array<[string, number]> = []
  const store = wrap(inner)
  const s = new Scheduler({ store, now: () => T0 + 1000, pollMs: 20, maxConcurrent: 4, batch: 10, log: quiet, run: async (j, at) => ran.push([j.id, at]) })
  return { inner, ran, s }
}

test('a due job whose fire time another node moved first is not run here; the ones this node moved run once, at their due time', async () => {
  const { inner, ran, s } = await scheduled('cas.db', (st) => ({
    ...st,
    // the other node won `taken`: its compare-and-set leaves it out of what this node moved
    advance: async (moves) => new Set([...(await st.advance(moves))].filter((id) => id !== 'taken')),
  }))
  await inner.put(job('mine', T0))
  await inner.put(job('taken', T0))
  await s.start(true)
  await new Promise((r) => setTimeout(r, 100))
  await s.stop()
  assert.deepEqual(ran, [['mine', T0]])
  await inner.close()
})

test('a kick while a tick waits on the store does not start a second tick beside it: a due job runs once', async () => {
  let release: (() => void) | undefined
  const { inner, ran, s } = await scheduled('kick.db', (st) => ({
    ...st,
    // the first next-time write is slow, as a PostgreSQL round trip under load
    advance: async (moves) => {
      if (!release) await new Promise<void>((r) => (release = r))
      return st.advance(moves)
    },
  }))
  await inner.put(job('once', T0))
  await s.start(true)
  await new Promise((r) => setTimeout(r, 10))
  assert.ok(release, 'the first tick is waiting on its write')
  s.kick() // a job was changed meanwhile: remembered for after this tick
  await new Promise((r) => setTimeout(r, 30))
  release!()
  await new Promise((r) => setTimeout(r, 100))
  await s.stop()
  assert.deepEqual(ran, [['once', T0]])
  await inner.close()
})
