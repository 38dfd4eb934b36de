/**
 * Issue 18, "exactly one": a cron job that comes due on three daemon nodes runs on one of them.
 * The job is created once, through the API of one node: in cluster mode the job store is the
 * cluster's PostgreSQL, so every node's scheduler sees it come due; the fire time is moved with a
 * compare-and-set and claimed through the kernel's cluster claims, so one node runs it. The job
 * appends a line to a file all three can write: what a user would notice is that line appearing
 * once, and the one run in the history every node shows.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { killAllChildren, type GatewayChild } from '../reliability/support/gateway-child.js'
import { ADMIN, bearer, json, startNode, until } from './support.js'
import { appendJob, secondOf } from '../../plugins/cron/test-support/cluster-jobs.js'

after(async () => {
  await killAllChildren()
})

test('one cron job firing in a three-node daemon cluster runs once', async () => {
  const plugins = { cron: { shell_jobs: true, poll_ms: 100 } }
  const nodes: Array<{ node: GatewayChild; dir: string }> = []
  for (const id of ['cron-a', 'cron-b', 'cron-c']) {
    const dir = mkdtempSync(join(tmpdir(), `revka-cluster-${id}-`))
    nodes.push({ node: await startNode(id, { command: 'daemon', plugins, stateDir: dir }), dir })
  }
  const out = join(mkdtempSync(join(tmpdir(), 'revka-cluster-cron-out-')), 'runs.txt')
  // a whole second a little ahead: every node's scheduler has read the job well before it comes due
  const at = Math.ceil((Date.now() + 3000) / 1000) * 1000
  const created = await json(`${nodes[0].node.url}/api/cron`, {
    method: 'POST',
    headers: { ...bearer(ADMIN), 'content-type': 'application/json' },
    body: JSON.stringify(appendJob(out, secondOf(at), 'cluster once')),
  })
  assert.equal(created.status, 200, JSON.stringify(created.body))
  const jobId = created.body.job.id as string
  assert.equal(created.body.job.next_run, new Date(at).toISOString())
  assert.ok(Date.now() < at - 1000, 'the job was created well before it came due')

  const runsOn = async (n: GatewayChild) => {
    const r = await json(`${n.url}/api/cron/${jobId}/runs`, { headers: bearer(ADMIN) })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    return r.body.runs as Array<{ id: number; status: string; started_at: string }>
  }
  await until('the job ran somewhere', async () => existsSync(out), 15_000)
  // every node has ticked many times past the fire time (poll 100 ms): a second run would show by now
  await until('every node moved past the fire time', async () => {
    for (const { node } of nodes) {
      const jobs = await json(`${node.url}/api/cron`, { headers: bearer(ADMIN) })
      const j = (jobs.body.jobs as any[]).find((x) => x.id === jobId)
      // the next fire of that expression is a year on
      if (!j || j.last_status !== 'ok' || Date.parse(j.next_run) <= at) return false
    }
    return true
  })
  await new Promise((r) => setTimeout(r, 1000))
  assert.equal(readFileSync(out, 'utf8'), 'ran\n', 'the job ran exactly once across the three nodes')
  const runs = await Promise.all(nodes.map(({ node }) => runsOn(node)))
  assert.equal(runs[0].length, 1, `one run recorded: ${JSON.stringify(runs[0])}`)
  assert.equal(runs[0][0].status, 'ok')
  assert.ok(Date.parse(runs[0][0].started_at) >= at, 'the run is the fire at its due second')
  assert.deepEqual(runs[1], runs[0], 'node B shows the same history')
  assert.deepEqual(runs[2], runs[0], 'node C shows the same history')
})
