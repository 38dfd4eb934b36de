// X1 (issue 18): cluster mode on this machine, three gateways against one PostgreSQL and one Redis
// (scripts/cluster-engines.sh; run as `bash scripts/cluster-engines.sh run node bench/run.js X1`).
//  X1a authenticated GET /api/status, single node vs a cluster node: CPU/req efficiency (single ÷ cluster)
//  X1b revocation propagation: DELETE on node B → the token's WebSocket on node A closed, p99
//  X1c cross-node SSE: events emitted on node C, 1,000 subscribers on node A, p99 delivery
//  X1d what three nodes hold here: the same /api/status load on one single node, then split over A, B and C (aggregate req/s)
//  X1e 1,000 SSE subscribers on each of A, B and C (events emitted on C, 50/s): p99 delivery, frames lost
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import WebSocket from 'ws'
import { collectReports, emitAtRate } from './lib/channel-events.js'
import { ADMIN_TOKEN, ROOT, startGateway } from './lib/proc.js'
import { load } from './lib/load.js'

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const envCount = (name, dflt) => Number(process.env[name]) || dflt
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN
}

/** config.toml of one node; the bench pairs many devices from one client, so the pair limit is raised */
function clusterConfig(node) {
  return `[gateway]\npair_rate_limit_per_minute = 10000\n\n[cluster]\npostgres_url = "${process.env.REVKA_CLUSTER_PG_URL}"\nredis_url = "${process.env.REVKA_CLUSTER_REDIS_URL}"\nnode_id = "${node}"\n`
}

/** the caps of one credential raised to what the figure opens (the caps are tested elsewhere) */
function plugins(subscribers) {
  return { plugins: { events: { options: { maxStreamsPerCredential: subscribers, maxStreams: Math.max(4096, subscribers) } } } }
}

async function post(url, headers = {}, body) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  return r.json()
}

async function efficiency(single, node, duration) {
  await load(single.url + '/api/status', { headers: auth, duration: 3 })
  await load(node.url + '/api/status', { headers: auth, duration: 3 })
  const s = [],
    c = []
  for (let i = 0; i < 2; i++) {
    s.push(await load(single.url + '/api/status', { pid: single.pid, headers: auth, duration }))
    c.push(await load(node.url + '/api/status', { pid: node.pid, headers: auth, duration }))
  }
  const cpu = (rs) => rs.reduce((a, r) => a + r.cpuPerReqUs * r.requests, 0) / rs.reduce((a, r) => a + r.requests, 0)
  const rps = (rs) => rs.reduce((a, r) => a + r.rps, 0) / rs.length
  return { single: cpu(s), cluster: cpu(c), rpsRatio: rps(c) / rps(s) }
}

/** req/s of the same total load (60 connections) on one single node, then split over the three nodes */
async function aggregate(single, nodes, duration) {
  const one = await load(single.url + '/api/status', { headers: auth, duration, connections: 60 })
  const three = await Promise.all(nodes.map((n) => load(n.url + '/api/status', { headers: auth, duration, connections: 20 })))
  return {
    one: one.rps,
    three: three.reduce((a, r) => a + r.rps, 0),
    oneP99: one.p99ms,
    threeP99: Math.max(...three.map((r) => r.p99ms)),
  }
}

async function revocations(A, B, n) {
  const ms = []
  for (let i = 0; i < n; i++) {
    const { pairing_code: code } = await post(A.url + '/admin/paircode/new')
    const { token, device_id: id } = await post(A.url + '/api/pair', {}, { code })
    const ws = new WebSocket(`${A.url.replace('http', 'ws')}/ws/chat`, ['revka.v1'], { headers: { authorization: `Bearer ${token}` } })
    await new Promise((ok, fail) => {
      ws.once('open', ok)
      ws.once('error', fail)
    })
    const closed = new Promise((ok) => ws.once('close', () => ok(performance.now())))
    const t0 = performance.now()
    await fetch(`${B.url}/api/devices/${id}`, { method: 'DELETE', headers: auth })
    ms.push((await closed) - t0)
  }
  return ms
}

/** `subscribers` SSE clients on each node of `on` (two client processes per node), events emitted on C */
async function fanout(on, C, subscribers, rate, seconds) {
  const procs = on.flatMap((A) =>
    [0, 1].map(() =>
      spawn(process.execPath, [join(ROOT, 'bench/lib/sse-clients.js'), A.url, ADMIN_TOKEN, String(subscribers / 2)], { stdio: ['pipe', 'pipe', 'inherit'] }),
    ),
  )
  await Promise.all(procs.map((p) => new Promise((res) => p.stdout.once('data', res))))
  const total = await emitAtRate(C.url, rate, seconds)
  await sleep(1000)
  const reports = await collectReports(procs)
  const lost = reports.flatMap((r) => r.counts).reduce((s, c) => s + (total - c), 0)
  const refused = reports.reduce((s, r) => s + r.refused.length, 0)
  return { lat: reports.flatMap((r) => r.latencies), lost, refused, total }
}

export async function x1(duration = 5) {
  if (!process.env.REVKA_CLUSTER_PG_URL || !process.env.REVKA_CLUSTER_REDIS_URL)
    throw new Error('X1 needs the engines: bash scripts/cluster-engines.sh run node bench/run.js X1')
  const subscribers = envCount('BENCH_X1_SUBSCRIBERS', 1000)
  const single = await startGateway()
  const nodes = await Promise.all(['a', 'b', 'c'].map((n) => startGateway({ config: clusterConfig(n), plugins: plugins(subscribers) })))
  const [A, B, C] = nodes
  const out = []
  try {
    const e = await efficiency(single, A, duration)
    out.push({
      id: 'X1',
      name: 'authenticated GET /api/status, cluster node vs single node (CPU/req efficiency)',
      value: e.single / e.cluster,
      unit: '×',
      target: '≥ 0.85',
      pass: e.single / e.cluster >= 0.85,
      extra: `req/s ratio ${e.rpsRatio.toFixed(2)}×, ${e.cluster.toFixed(0)} vs ${e.single.toFixed(0)} µs/req`,
    })
    const r = await revocations(A, B, envCount('BENCH_X1_REVOCATIONS', 50))
    out.push({
      id: 'X1',
      name: `revocation on B → WebSocket on A closed, p99 of ${r.length}`,
      value: pct(r, 99),
      unit: 'ms',
      target: '< 1000',
      pass: pct(r, 99) < 1000,
      extra: `p50 ${pct(r, 50).toFixed(1)} ms`,
    })
    const f = await fanout([A], C, subscribers, envCount('BENCH_X1_RATE', 200), envCount('BENCH_X1_SECONDS', 5))
    const p99 = pct(f.lat, 99)
    out.push({
      id: 'X1',
      name: `events on C → ${subscribers} SSE subscribers on A: p99 delivery`,
      value: p99,
      unit: 'ms',
      target: '< 100, 0 lost',
      pass: p99 < 100 && f.lost === 0 && f.refused === 0,
      extra: `p50 ${pct(f.lat, 50)} ms, lost ${f.lost} of ${f.total * subscribers}${f.refused ? `, ${f.refused} refused` : ''}`,
    })
    const agg = await aggregate(single, nodes, duration)
    out.push({
      id: 'X1',
      name: 'aggregate req/s of GET /api/status: load split over 3 cluster nodes ÷ the same load on 1 single node (2 cores)',
      value: agg.three / agg.one,
      unit: '×',
      target: 'report',
      pass: true,
      extra: `${agg.three.toFixed(0)} vs ${agg.one.toFixed(0)} req/s; p99 ${agg.threeP99} vs ${agg.oneP99} ms`,
    })
    const spread = await fanout(nodes, C, subscribers, envCount('BENCH_X1E_RATE', 50), envCount('BENCH_X1_SECONDS', 5))
    const sp99 = pct(spread.lat, 99)
    out.push({
      id: 'X1',
      name: `events on C → ${subscribers} SSE subscribers on each of A, B and C: p99 delivery`,
      value: sp99,
      unit: 'ms',
      target: 'report, 0 lost',
      pass: spread.lost === 0 && spread.refused === 0,
      extra: `p50 ${pct(spread.lat, 50)} ms, lost ${spread.lost} of ${spread.total * subscribers * nodes.length}${spread.refused ? `, ${spread.refused} refused` : ''}`,
    })
  } finally {
    await Promise.all([single, ...nodes].map((g) => g.stop()))
  }
  return out
}
