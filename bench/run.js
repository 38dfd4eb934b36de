#!/usr/bin/env node
// `npm run bench [P1 P3 …]`: side-by-side benchmarks. One line per figure, then a summary table.
// Figures are ratios measured in the same run against a baseline, or bounds — never absolute
// times compared across runs (the machine is shared and noisy).
import { p1, p2 } from './p1-p2-overhead.js'
import { p3 } from './p3-p4-startup.js'
import { p5, p6, p7 } from './p5-p7-realtime.js'
import { p8 } from './p8-oversize.js'
import { x1 } from './x1-cluster.js'
import { p9 } from './p9-console.js'
import { c1c2 } from './c1-cron.js'
import { g1g2 } from './g1-g2-domain.js'
import { d1 } from './d1-domain-api.js'
import { i1 } from './i1-installed.js'
import { w1 } from './w1-workflows.js'

const all = { P1: p1, P2: p2, P3: p3, P5: p5, P6: p6, P7: p7, P8: p8, P9: p9, C1: c1c2, G1: g1g2, D1: d1, I1: i1, W1: w1 }
// X1 needs PostgreSQL and Redis (`bash scripts/cluster-engines.sh run node bench/run.js X1`): listed only then
if (process.env.REVKA_CLUSTER_PG_URL) all.X1 = x1
const want = process.argv.slice(2).map((s) => s.toUpperCase())
const figures = []
for (const [id, fn] of Object.entries(all)) {
  if (want.length && !want.includes(id)) continue
  try {
    for (const f of await fn()) {
      figures.push(f)
      console.log(`${f.id}  ${f.name}: ${f.value.toFixed(2)} ${f.unit} (target ${f.target}) ${f.pass ? 'PASS' : 'MISS'}${f.extra ? ` — ${f.extra}` : ''}`)
    }
  } catch (e) {
    figures.push({ id, name: 'failed to run', value: NaN, unit: '', target: '', pass: false, extra: e.message })
    console.log(`${id}  failed to run: ${e.message}`)
  }
}
console.log('\n| id | figure | value | target | verdict |\n|---|---|---|---|---|')
for (const f of figures)
  console.log(`| ${f.id} | ${f.name} | ${Number.isFinite(f.value) ? f.value.toFixed(2) : '–'} ${f.unit} | ${f.target} | ${f.pass ? 'pass' : 'MISS'} |`)
