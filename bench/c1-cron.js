// C1: 10,000 cron jobs due at the same instant, fired by a real `revka daemon` — the firing delay
// (a run's started_at minus the time it was due) p50/p99, target p99 < 1 s; and the time until
// every run is recorded. C2: the daemon's idle CPU with 10,000 jobs scheduled (none due), against
// the same daemon with no jobs in the same run.
// Jobs are seeded through the plugin's own store before the daemon starts (10,000 API creates
// would measure fsyncs, not the scheduler); they are agent jobs on the offline responder with no
// chunk delay, max_concurrent raised to 10,000 so every due job starts at once.
// BENCH_CRON_JOBS sets the count (default 10,000).
import { mkdirSync, mkdtempSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cpuMs, ROOT, startGateway } from './lib/proc.js'

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const CONFIG = 'default_provider = "offline"\n\n[providers.offline]\ntype = "offline"\nchunk_delay_ms = 0\n'
const plugins = (n) => ({
  builtins: false,
  paths: ['cron', 'agent-runtime'].map((p) => join(ROOT, 'plugins', p)),
  plugins: { cron: { options: { max_jobs: Math.max(n, 1), max_concurrent: 10000 } } },
})

async function seed(state, n, dueAt, expr, tz = null) {
  const { JobStore } = await import(join(ROOT, 'plugins/cron/store.js'))
  const dir = join(state, 'plugins', 'cron')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const store = await JobStore.open(join(dir, 'jobs.db'))
  const jobs = []
  for (let i = 0; i < n; i++) {
    jobs.push({
      id: randomUUID(),
      name: `bench ${i}`,
      schedule: { kind: 'cron', expr, tz },
      command: '',
      argv: null,
      prompt: `bench job ${i}`,
      job_type: 'agent',
      session_target: 'isolated',
      model: null,
      allowed_tools: null,
      enabled: true,
      delivery: { mode: 'none', channel: null, to: null, best_effort: true },
      delete_after_run: false,
      source: 'imperative',
      owner: 'bench',
      created_at: Date.now(),
      next_run: dueAt,
      last_run: null,
      last_status: null,
      last_output: null,
    })
  }
  store.putMany(jobs)
  return store
}

async function idleCpu(n) {
  const state = mkdtempSync(join(tmpdir(), 'revka-bench-cron-idle-'))
  // due on 1 January: nothing fires during the measurement
  const store = await seed(state, n, Date.parse(`${new Date().getUTCFullYear() + 1}-01-01T00:00:00Z`), '0 0 1 1 *')
  store.close()
  const gw = await startGateway({ mode: 'daemon', state, config: CONFIG, plugins: plugins(n) })
  try {
    await sleep(3000) // start-up settles
    const c0 = cpuMs(gw.pid)
    const t0 = performance.now()
    await sleep(10_000)
    return { cpu: cpuMs(gw.pid) - c0, wall: performance.now() - t0 }
  } finally {
    await gw.stop()
  }
}

export async function c1c2() {
  const n = Number(process.env.BENCH_CRON_JOBS ?? 10_000)
  const out = []
  const state = mkdtempSync(join(tmpdir(), 'revka-bench-cron-'))
  // far enough ahead that seeding and the daemon's start are over before the jobs come due
  const dueAt = Math.ceil((Date.now() + 25_000) / 1000) * 1000
  // a 6-field expression for that very second (UTC): each job fires once, so no second round
  // mixes into the figure
  const d = new Date(dueAt)
  ;(await seed(state, n, dueAt, `${d.getUTCSeconds()} ${d.getUTCMinutes()} ${d.getUTCHours()} ${d.getUTCDate()} ${d.getUTCMonth() + 1} *`, 'UTC')).close()
  const gw = await startGateway({ mode: 'daemon', state, config: CONFIG, plugins: plugins(n) })
  try {
    const margin = dueAt - Date.now()
    if (margin < 2000) throw new Error(`the daemon was ready only ${margin} ms before the jobs were due; raise the lead time`)
    const deadline = dueAt + 120_000
    let done = 0
    const { default: Database } = await import('better-sqlite3')
    const db = new Database(join(state, 'plugins', 'cron', 'jobs.db'), { readonly: true })
    const count = db.prepare('SELECT COUNT(DISTINCT job_id) AS n FROM cron_runs')
    while ((done = count.get().n) < n && Date.now() < deadline) await sleep(250)
    const allRecordedMs = Date.now() - dueAt
    const started = db
      .prepare('SELECT MIN(started_at) AS s FROM cron_runs GROUP BY job_id')
      .all()
      .map((r) => r.s - dueAt)
    const failed = db.prepare("SELECT COUNT(*) AS n FROM cron_runs WHERE status != 'ok'").get().n
    db.close()
    const p50 = pct(started, 50)
    const p99 = pct(started, 99)
    out.push({
      id: 'C1',
      name: `${n} cron jobs due at one instant (revka daemon): firing delay p99`,
      value: p99,
      unit: 'ms p99',
      target: '< 1000 ms',
      pass: p99 < 1000 && done === n && failed === 0,
      extra: `daemon ready ${(margin / 1000).toFixed(1)} s before they were due; p50 ${p50} ms, p99 ${p99} ms, max ${Math.max(...started)} ms; ${done}/${n} runs recorded ${(allRecordedMs / 1000).toFixed(1)} s after they were due (each run: an offline agent turn, a run row (WAL, synchronous=NORMAL) and an audit entry (fsynced by the kernel)); ${failed} failed`,
    })
  } finally {
    await gw.stop()
  }
  const idle = await idleCpu(n)
  const bare = await idleCpu(0)
  const pctOf = (x) => (100 * x.cpu) / x.wall
  out.push({
    id: 'C2',
    name: `idle daemon CPU with ${n} jobs scheduled (none due) vs none`,
    value: pctOf(idle),
    unit: '% of a core',
    target: '< 1 % and ≈ no jobs',
    pass: pctOf(idle) < 1,
    extra: `${idle.cpu.toFixed(0)} ms CPU in ${(idle.wall / 1000).toFixed(1)} s with ${n} jobs; ${bare.cpu.toFixed(0)} ms with none (${pctOf(bare).toFixed(2)} %)`,
  })
  return out
}
