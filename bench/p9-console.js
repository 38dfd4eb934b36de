// P9: the operator console's first page (issue 12: < 150 KB of JavaScript gzip, first render < 1 s
// on this machine). Size: the gzip bytes of the JavaScript index.html loads, as the gateway sends it
// to a browser that accepts gzip. Time: cold loads (a new browser context each, so no cache) in
// Debian chromium, headless: navigation start → the console's `revka:first-render` mark, for the
// pairing page (a new browser) and the overview (a paired one, with its plugin table filled in).
// The same-run baseline is a bare HTML page from a bare node:http server: the browser's own floor.
import { execFileSync } from 'node:child_process'
import { createServer } from 'node:http'
import { chromium } from 'playwright-core'
import { ADMIN_TOKEN, startGateway } from './lib/proc.js'

const RUNS = 5
const ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/**
 * Median over RUNS loads of `url`, each in a new context (no HTTP cache), after one discarded load
 * (the browser's own warm-up). The time is taken in the page: the `revka:first-render` mark, or
 * when `waitFor` first matches (a MutationObserver installed before any script runs).
 */
async function timed(browser, url, { token, waitFor } = {}) {
  const out = []
  for (let i = 0; i <= RUNS; i++) {
    const ctx = await browser.newContext()
    if (token) await ctx.addInitScript(`localStorage.setItem('revka.token:/', ${JSON.stringify(JSON.stringify({ token }))})`)
    if (waitFor) {
      await ctx.addInitScript(
        `new MutationObserver((_, o) => { if (document.querySelector(${JSON.stringify(waitFor)})) { window.__seenAt = performance.now(); o.disconnect() } }).observe(document, { childList: true, subtree: true })`,
      )
    }
    const page = await ctx.newPage()
    await page.goto(url)
    const ms = waitFor
      ? await page.waitForFunction('window.__seenAt').then(() => page.evaluate('window.__seenAt'))
      : await page
          .waitForFunction(`performance.getEntriesByName('revka:first-render').length > 0`)
          .then(() => page.evaluate(`performance.getEntriesByName('revka:first-render')[0].startTime`))
    if (i > 0) out.push(ms)
    await ctx.close()
  }
  return median(out)
}

export async function p9() {
  const gw = await startGateway({ env: { REVKA_GATEWAY_HOST: '127.0.0.1' } })
  const bare = createServer((_, res) => res.end('<!doctype html><html><head><title>bare</title></head><body><div id="app">bare</div></body></html>'))
  await new Promise((r) => bare.listen(0, '127.0.0.1', r))
  const browser = await chromium.launch({ executablePath: execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim(), args: ARGS })
  try {
    const html = await (await fetch(gw.url + '/')).text()
    let jsGzip = 0
    for (const [, src] of html.matchAll(/<script[^>]+src="([^"]+)"/g)) {
      const r = await fetch(new URL(src, gw.url), { headers: { 'accept-encoding': 'gzip' } })
      if (r.headers.get('content-encoding') !== 'gzip') throw new Error(`${src} was not sent gzip-encoded`)
      // fetch decodes the body: count the encoded bytes from the declared length
      jsGzip += Number(r.headers.get('content-length'))
      await r.arrayBuffer()
    }
    const bareMs = await timed(browser, `http://127.0.0.1:${bare.address().port}/`, { waitFor: '#app' })
    const pairingMs = await timed(browser, gw.url + '/')
    const overviewMs = await timed(browser, gw.url + '/', { token: ADMIN_TOKEN, waitFor: 'tr[data-plugin="chat"]' })
    const extra = `median of ${RUNS} cold loads; bare page ${bareMs.toFixed(0)} ms in the same run`
    return [
      { id: 'P9a', name: 'console JavaScript, gzip', value: jsGzip / 1024, unit: 'KiB', target: '< 150 KiB', pass: jsGzip < 150 * 1024 },
      {
        id: 'P9b',
        name: 'console first render (pairing page)',
        value: pairingMs,
        unit: 'ms',
        target: '< 1000 ms',
        pass: pairingMs < 1000,
        extra: `${(pairingMs / bareMs).toFixed(2)}× the bare page; ${extra}`,
      },
      {
        id: 'P9c',
        name: 'overview with its plugin table (paired)',
        value: overviewMs,
        unit: 'ms',
        target: '< 1000 ms',
        pass: overviewMs < 1000,
        extra: `${(overviewMs / bareMs).toFixed(2)}× the bare page; ${extra}`,
      },
    ]
  } finally {
    await browser.close()
    bare.close()
    await gw.stop()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of await p9())
    console.log(`${f.id}  ${f.name}: ${f.value.toFixed(1)} ${f.unit} (target ${f.target}) ${f.pass ? 'PASS' : 'MISS'}${f.extra ? ` — ${f.extra}` : ''}`)
}
