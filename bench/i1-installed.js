// I1 (issue 20): start-up and RSS of the installed package against the checkout, P3/P4 style, in
// one run: spawn → first /health 200 (all default plugins, a fresh state dir each start) and the
// RSS then, alternating checkout and installed. REVKA_INSTALLED names the installed package
// folder, e.g. `bash scripts/ci-pack-install.sh --keep` prints one (remove the CI's npm plugin
// beside it first: `npm rm -g revka-plugin-ci-hello --prefix <prefix>`, it would be loaded too).
import { join } from 'node:path'
import { firstHealthy, median } from './p3-p4-startup.js'

export async function i1(runs = 5) {
  const pkg = process.env.REVKA_INSTALLED
  if (!pkg) {
    console.log('I1  skipped: set REVKA_INSTALLED to an installed package folder (<prefix>/lib/node_modules/revka)')
    return []
  }
  const installedBin = join(pkg, 'bin', 'revka.js')
  const checkout = { ms: [], rss: [] }
  const installed = { ms: [], rss: [] }
  await firstHealthy(undefined) // warm the OS file cache once for each
  await firstHealthy(undefined, installedBin)
  for (let i = 0; i < runs; i++) {
    for (const [into, bin] of [
      [checkout, undefined],
      [installed, installedBin],
    ]) {
      const r = await firstHealthy(undefined, bin)
      into.ms.push(r.ms)
      into.rss.push(r.rss)
    }
  }
  const ratio = median(installed.ms) / median(checkout.ms)
  const rssRatio = median(installed.rss) / median(checkout.rss)
  const runsOf = (xs) => xs.map((x) => x.toFixed(0)).join(', ')
  return [
    {
      id: 'I1',
      name: 'spawn → first /health 200, installed ÷ checkout (medians)',
      value: ratio,
      unit: '×',
      target: '≤ 1.10',
      pass: ratio <= 1.1,
      extra: `installed ${runsOf(installed.ms)} ms; checkout ${runsOf(checkout.ms)} ms`,
    },
    {
      id: 'I1',
      name: 'RSS after start, installed ÷ checkout (medians)',
      value: rssRatio,
      unit: '×',
      target: '≤ 1.10',
      pass: rssRatio <= 1.1,
      extra: `installed ${runsOf(installed.rss)} MB; checkout ${runsOf(checkout.rss)} MB`,
    },
  ]
}
