// D1: the agents API on a large store — p50/p99 over sequential requests of
//   a list page (`GET /api/agents?page=N`), a full-text search (`GET /api/agents?q=…`, a word
//   that ~100 agents share) and an agent create (`POST /api/agents`);
// targets: list and search p99 < 20 ms, create p99 < 10 ms. In the same run a bare Fastify serves
// the list page's very JSON document, so the gateway's share is visible beside the absolute time.
// The store is seeded through its own interface before the gateway starts: BENCH_DOMAIN_ITEMS
// agents (default 100,000) in /Revka/AgentPool with 3 revisions each, in batches of one SQLite
// transaction (the store's own transactions nest as savepoints).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ADMIN_TOKEN, ROOT, startBaseline, startGateway } from './lib/proc.js'

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]
}

async function seedAgents(stateDir, items, batch = 2000) {
  const { SqliteDomainStore } = await import(join(ROOT, 'plugins/store/sqlite-store.js'))
  const { storeLimits } = await import(join(ROOT, 'plugins/store/limits.js'))
  const store = await SqliteDomainStore.open(join(stateDir, 'plugins', 'store'), storeLimits({}))
  const db = store.c.db
  const t0 = performance.now()
  try {
    for (let start = 0; start < items; start += batch) {
      db.exec('BEGIN')
      for (let i = start; i < Math.min(items, start + batch); i++) {
        const meta = (r) => ({
          display_name: `Agent ${i}`,
          identity: `agent ${i} revision ${r} works on topic${i % 1000}`,
          soul: 'steady',
          expertise: `skill${i % 50},rust`,
          role: 'dev',
        })
        const { item } = await store.createItem({
          space_path: '/Revka/AgentPool',
          item_name: `agent-${i}`,
          kind: 'agent',
          revision: { metadata: meta(1), tags: ['published'] },
        })
        await store.createRevision(item.kref, { metadata: meta(2) })
        await store.createRevision(item.kref, { metadata: meta(3), tags: ['published'] })
      }
      db.exec('COMMIT')
    }
  } finally {
    store.close()
  }
  return (performance.now() - t0) / 1000
}

async function timed(n, fn) {
  const out = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await fn(i)
    out.push(performance.now() - t0)
  }
  return out
}

async function get(url) {
  const res = await fetch(url, { headers: auth })
  const body = await res.json()
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`)
  return body
}

export async function d1() {
  const items = Number(process.env.BENCH_DOMAIN_ITEMS ?? 100_000)
  const state = mkdtempSync(join(tmpdir(), 'revka-bench-agents-'))
  const seconds = await seedAgents(state, items)
  const gw = await startGateway({ env: { REVKA_STATE_DIR: state } })
  const out = []
  try {
    const pages = Math.floor(items / 9)
    const listUrl = (i) => `${gw.url}/api/agents?page=${1 + ((i * 7919) % pages)}`
    const first = await get(listUrl(0))
    if (first.total_count !== items || first.agents.length !== 9) throw new Error(`list: total ${first.total_count}, ${first.agents.length} agents`)
    await timed(20, (i) => get(listUrl(i)))
    const list = await timed(300, (i) => get(listUrl(i)))
    const base = await startBaseline({ '/api/agents': first })
    let baseLat
    try {
      await timed(20, () => fetch(base.url + '/api/agents').then((r) => r.arrayBuffer()))
      baseLat = await timed(300, () => fetch(base.url + '/api/agents').then((r) => r.arrayBuffer()))
    } finally {
      await base.stop()
    }
    out.push({
      id: 'D1',
      name: `GET /api/agents page (9 of ${items} agents × 3 revisions): p99`,
      value: pct(list, 99),
      unit: 'ms p99',
      target: '< 20 ms',
      pass: pct(list, 99) < 20,
      extra: `p50 ${pct(list, 50).toFixed(1)} ms; bare Fastify serving the same document p50 ${pct(baseLat, 50).toFixed(1)} ms, p99 ${pct(baseLat, 99).toFixed(1)} ms; seeding took ${seconds.toFixed(0)} s`,
    })

    const searchUrl = (i) => `${gw.url}/api/agents?q=topic${(i * 37) % 1000}&per_page=9`
    const hits = await get(searchUrl(1))
    await timed(20, (i) => get(searchUrl(i)))
    const search = await timed(300, (i) => get(searchUrl(i)))
    out.push({
      id: 'D1',
      name: `GET /api/agents?q=<word shared by ~${hits.total_count} agents> (full-text): p99`,
      value: pct(search, 99),
      unit: 'ms p99',
      target: '< 20 ms',
      pass: pct(search, 99) < 20 && hits.total_count > 0,
      extra: `p50 ${pct(search, 50).toFixed(1)} ms; ${hits.total_count} hits counted, 9 returned`,
    })

    const create = await timed(200, async (i) => {
      const res = await fetch(gw.url + '/api/agents', {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `Bench New ${i}`, identity: 'new', soul: 's', expertise: ['go'] }),
      })
      await res.arrayBuffer()
      if (res.status !== 201) throw new Error(`create answered ${res.status}`)
    })
    out.push({
      id: 'D1',
      name: `POST /api/agents (item + revision + tag + FTS row, ${items} agents already): p99`,
      value: pct(create, 99),
      unit: 'ms p99',
      target: '< 10 ms',
      pass: pct(create, 99) < 10,
      extra: `p50 ${pct(create, 50).toFixed(1)} ms`,
    })
  } finally {
    await gw.stop()
  }
  try {
    out.push(...(await inProcess(state, items)))
  } finally {
    rmSync(state, { recursive: true, force: true })
  }
  return out
}

/**
 * The store's own share, without HTTP or the loaded machine's scheduling of two processes: the
 * same three operations called through the DomainStore interface in this process (gateway stopped).
 */
async function inProcess(state, items) {
  const { SqliteDomainStore } = await import(join(ROOT, 'plugins/store/sqlite-store.js'))
  const { storeLimits } = await import(join(ROOT, 'plugins/store/limits.js'))
  const s = await SqliteDomainStore.open(join(state, 'plugins', 'store'), storeLimits({}))
  try {
    const pages = Math.floor(items / 9)
    const list = await timed(300, async (i) => {
      const page = await s.listItems({ space_path: '/Revka/AgentPool', kinds: ['agent'], offset: ((i * 7919) % pages) * 9, limit: 9 })
      await s.currentRevisions(page.items.map((x) => x.kref))
    })
    const search = await timed(300, async (i) => {
      const r = await s.search({ query: `topic${(i * 37) % 1000}`, context: '/Revka/AgentPool', kinds: ['agent'], limit: 9 })
      await s.currentRevisions(r.items.map((h) => h.item.kref))
    })
    const create = await timed(200, (i) =>
      s.createItem({
        space_path: '/Revka/AgentPool',
        item_name: `inproc-${i}`,
        kind: 'agent',
        revision: { metadata: { display_name: `In ${i}`, identity: 'x' }, tags: ['published'] },
      }),
    )
    const fig = (name, xs, target) => ({
      id: 'D1s',
      name: `store only, in process: ${name}: p99`,
      value: pct(xs, 99),
      unit: 'ms p99',
      target: `< ${target} ms`,
      pass: pct(xs, 99) < target,
      extra: `p50 ${pct(xs, 50).toFixed(2)} ms`,
    })
    return [
      fig('list page + current revisions', list, 20),
      fig('search page + current revisions', search, 20),
      fig('createItem with revision 1 tagged', create, 10),
    ]
  } finally {
    s.close()
  }
}
