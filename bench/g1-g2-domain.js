// G1: GET /api/memory/graph?limit=500 on a seeded store — p50/p99 over sequential requests, with a
// bare Fastify serving the same graph document in the same run as the baseline (target p99 < 100 ms).
// G2: RSS growth of the gateway while it streams a 256 MiB artifact body (target < 16 MiB).
// The store is seeded through its own interface before the gateway starts (lib/domain-seed.js);
// BENCH_GRAPH_ITEMS sets how many items (default 6,000 in 20 spaces, 3 revisions each, one edge
// per item: limit=500 then lists 6 spaces fully and counts the other 14, as a large store would).
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ADMIN_TOKEN, rssMb, startBaseline, startGateway } from './lib/proc.js'
import { seedDomain } from './lib/domain-seed.js'

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]
}

async function timed(url, n, headers = {}) {
  const out = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    const res = await fetch(url, { headers })
    await res.arrayBuffer()
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`)
    out.push(performance.now() - t0)
  }
  return out
}

export async function g1g2() {
  const items = Number(process.env.BENCH_GRAPH_ITEMS ?? 6000)
  const state = mkdtempSync(join(tmpdir(), 'revka-bench-domain-'))
  const seeded = await seedDomain(state, { items })
  const gw = await startGateway({ env: { REVKA_STATE_DIR: state } })
  const out = []
  try {
    const path = '/api/memory/graph?limit=500'
    const first = await (await fetch(gw.url + path, { headers: auth })).json()
    if (first.nodes?.length !== 500) throw new Error(`graph has ${first.nodes?.length} nodes, expected 500`)
    await timed(gw.url + path, 20, auth)
    const lat = await timed(gw.url + path, 200, auth)
    const base = await startBaseline({ '/api/memory/graph': first })
    let baseLat
    try {
      await timed(base.url + '/api/memory/graph', 20)
      baseLat = await timed(base.url + '/api/memory/graph', 200)
    } finally {
      await base.stop()
    }
    const p50 = pct(lat, 50)
    const p99 = pct(lat, 99)
    out.push({
      id: 'G1',
      name: `GET /api/memory/graph?limit=500, ${items} items × 3 revisions seeded: p50 / p99`,
      value: p99,
      unit: 'ms p99',
      target: '< 100 ms',
      pass: p99 < 100,
      extra: `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; bare Fastify serving the same ${(JSON.stringify(first).length / 1024).toFixed(0)} KiB document p50 ${pct(baseLat, 50).toFixed(1)} ms (×${(p50 / pct(baseLat, 50)).toFixed(1)}); ${first.edges.length} edges, total_items ${first.stats.total_items}; seeding took ${seeded.seconds.toFixed(0)} s`,
    })

    // G2: a sparse 256 MiB file inside the store's artifact directory (reads cost no disk)
    const dir = join(state, 'plugins', 'store', 'artifacts', 'bench')
    mkdirSync(dir, { recursive: true })
    const file = join(dir, 'big.bin')
    const fd = openSync(file, 'w')
    ftruncateSync(fd, 256 * 1024 * 1024)
    closeSync(fd)
    const url = `${gw.url}/api/artifact-body?location=${encodeURIComponent(file)}`
    // the gateway is warm from G1; RSS is sampled every 20 ms while the body streams
    const before = rssMb(gw.pid)
    let peak = before
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb(gw.pid))
    }, 20)
    const res = await fetch(url, { headers: auth })
    let bytes = 0
    for await (const chunk of res.body) bytes += chunk.length
    clearInterval(sampler)
    peak = Math.max(peak, rssMb(gw.pid))
    const growth = peak - before
    out.push({
      id: 'G2',
      name: 'RSS growth while streaming a 256 MiB artifact body',
      value: growth,
      unit: 'MiB',
      target: '< 16 MiB',
      pass: growth < 16 && bytes === 256 * 1024 * 1024 && res.status === 200,
      extra: `status ${res.status}, ${bytes} bytes received, RSS ${before.toFixed(1)} → peak ${peak.toFixed(1)} MiB`,
    })
    return out
  } finally {
    await gw.stop()
  }
}
