/**
 * Issue 18, "exactly one": a cron job that comes due on three daemon nodes runs on one of them.
 * Cron jobs still live in each node's own SQLite store (a shared job store is not built yet), so
 * the test puts the same job — same id, same fire time — into each node's store, which is what
 * every node sees of a job in a cluster; the nodes then decide among themselves through the
 * kernel's cluster claims (PostgreSQL) which one runs it. The job appends a line to a file all
 * three can write: what a user would notice is that line appearing once, and one run recorded.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, mkdirSync, readFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JobStore, type Job } from '../../plugins/cron/store.js'
import { killAllChildren, type GatewayChild } from '../reliability/support/gateway-child.js'
import { ADMIN, bearer, json, startNode, until } from './support.js'

after(async () => {
  await killAllChildren()
})

function shellJob(id: string, at: number, out: string): Job {
  return {
    id,
    name: 'cluster once',
    schedule: { kind: 'at', at: new Date(at).toISOString() },
    command: 'append a line',
    argv: [process.execPath, '-e', `require('node:fs').appendFileSync(${JSON.stringify(out)}, 'ran\\n')`],
    prompt: null,
    job_type: 'shell',
    session_target: 'isolated',
    model: null,
    allowed_tools: null,
    enabled: true,
    delivery: { mode: 'none', channel: null, to: null, best_effort: true },
    delete_after_run: false,
    source: 'declarative',
    owner: null,
    created_at: Date.now(),
    next_run: at,
    last_run: null,
    last_status: null,
    last_output: null,
  }
}

test('one cron job firing in a three-node daemon cluster runs once', async () => {
  const plugins = { cron: { shell_jobs: true, poll_ms: 100 } }
  const nodes: Array<{ node: GatewayChild; dir: string }> = []
  for (const id of ['cron-a', 'cron-b', 'cron-c']) {
    const dir = mkdtempSync(join(tmpdir(), `revka-cluster-${id}-`))
    nodes.push({ node: await startNode(id, { command: 'daemon', plugins, stateDir: dir }), dir })
  }
  const out = join(mkdtempSync(join(tmpdir(), 'revka-cluster-cron-out-')), 'runs.txt')
  // a whole second a little ahead: every node has the job well before it comes due
  const at = Math.ceil((Date.now() + 2000) / 1000) * 1000
  const jobId = `cluster-once-${at}`
  for (const { dir } of nodes) {
    const storeDir = join(dir, 'plugins', 'cron')
    mkdirSync(storeDir, { recursive: true, mode: 0o700 })
    const store = await JobStore.open(join(storeDir, 'jobs.db'))
    try {
      store.put(shellJob(jobId, at, out))
    } finally {
      store.close()
    }
  }
  assert.ok(Date.now() < at, 'the job was in every store before it came due')

  const runsOn = async (n: GatewayChild) => {
    const r = await json(`${n.url}/api/cron/${jobId}/runs`, { headers: bearer(ADMIN) })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    return r.body.runs as Array<{ status: string }>
  }
  await until('the job ran somewhere', async () => existsSync(out), 15_000)
  // every node has ticked many times past the fire time (poll 100 ms): a second run would show by now
  await until('every node moved past the fire time', async () => {
    for (const { node } of nodes) {
      const jobs = await json(`${node.url}/api/cron`, { headers: bearer(ADMIN) })
      const j = (jobs.body.jobs as any[]).find((x) => x.id === jobId)
      if (!j || j.next_run !== null) return false
    }
    return true
  })
  await new Promise((r) => setTimeout(r, 1000))
  assert.equal(readFileSync(out, 'utf8'), 'ran\n', 'the job ran exactly once across the three nodes')
  const runs = (await Promise.all(nodes.map(({ node }) => runsOn(node)))).map((r) => r.length)
  assert.deepEqual(runs.slice().sort(), [0, 0, 1], `one run recorded on one node (runs per node: ${runs.join(', ')})`)
})
