// P3: spawn of `revka gateway` → first /health 200 (all default plugins; the headless set).
// P4: RSS after start for the headless set.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, rssMb, startGateway } from './lib/proc.js'

/** spawn → first /health 200 and the RSS then; `bin`: another revka.js (bench/i1-installed.js) */
export async function firstHealthy(plugins, bin) {
  const t0 = performance.now()
  const gw = await startGateway({ plugins, bin })
  try {
    for (;;) {
      const r = await fetch(gw.url + '/health').catch(() => null)
      if (r && r.status === 200) {
        await r.arrayBuffer()
        break
      }
      if (r) await r.arrayBuffer()
      if (performance.now() - t0 > 30_000) throw new Error('no /health 200 within 30 s')
      await new Promise((res) => setTimeout(res, 5))
    }
    return { ms: performance.now() - t0, rss: rssMb(gw.pid) }
  } finally {
    await gw.stop()
  }
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

export function headlessPlugins() {
  const f = join(ROOT, 'examples/headless/revka.plugins.json')
  if (existsSync(f)) {
    const doc = JSON.parse(readFileSync(f, 'utf8'))
    // paths in the example are relative to its folder
    doc.paths = (doc.paths ?? []).map((p) => join(ROOT, 'examples/headless', p))
    return doc
  }
  return { builtins: true, plugins: {} }
}

export async function p3(runs = 5) {
  const all = [],
    headless = []
  let rssHeadless = 0
  await firstHealthy(undefined) // warm the OS file cache once
  for (let i = 0; i < runs; i++) {
    all.push((await firstHealthy(undefined)).ms)
    const h = await firstHealthy(headlessPlugins())
    headless.push(h.ms)
    rssHeadless = Math.max(rssHeadless, h.rss)
  }
  return [
    {
      id: 'P3',
      name: 'spawn → first /health 200, all default plugins (median)',
      value: median(all),
      unit: 'ms',
      target: '< 500',
      pass: median(all) < 500,
      extra: `runs ${all.map((x) => x.toFixed(0)).join(', ')}`,
    },
    {
      id: 'P3',
      name: 'spawn → first /health 200, headless set (median)',
      value: median(headless),
      unit: 'ms',
      target: '< 250',
      pass: median(headless) < 250,
      extra: `runs ${headless.map((x) => x.toFixed(0)).join(', ')}`,
    },
    { id: 'P4', name: 'RSS after start, headless set', value: rssHeadless, unit: 'MB', target: '< 60', pass: rssHeadless < 60 },
  ]
}
