// P1: gateway vs bare Fastify, same run, same load. P2: 100 synthetic plugins (500 routes) vs none.
// The stable figure on a shared machine is server CPU per request (efficiency = baseline ÷ gateway);
// req/s ratio is printed beside it.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ADMIN_TOKEN, ROOT, rssMb, startBaseline, startGateway } from './lib/proc.js'
import { load } from './lib/load.js'

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }

async function pair(a, b, pathA, pathB, headersA, headersB, duration) {
  // warm-up: both servers get the same load first, so neither is measured while still compiling
  // its hot path (the gateway has more code for the JIT to settle)
  await load(a.url + pathA, { headers: headersA, duration: 3 })
  await load(b.url + pathB, { headers: headersB, duration: 3 })
  const ra = [],
    rb = []
  for (let i = 0; i < 2; i++) {
    // interleave to spread machine noise over both
    ra.push(await load(a.url + pathA, { pid: a.pid, headers: headersA, duration }))
    rb.push(await load(b.url + pathB, { pid: b.pid, headers: headersB, duration }))
  }
  const sum = (rs) => ({
    rps: rs.reduce((s, r) => s + r.rps, 0) / rs.length,
    cpu: rs.reduce((s, r) => s + r.cpuPerReqUs * r.requests, 0) / rs.reduce((s, r) => s + r.requests, 0),
    non2xx: rs.reduce((s, r) => s + r.non2xx, 0),
  })
  return { a: sum(ra), b: sum(rb) }
}

async function capture(gw, paths) {
  const out = {}
  for (const p of paths) out[p] = await (await fetch(gw.url + p, { headers: auth })).json()
  return out
}

export async function p1(duration = 5) {
  const gw = await startGateway()
  const base = await startBaseline(await capture(gw, ['/health', '/api/status']))
  const out = []
  try {
    const rssStart = rssMb(gw.pid)
    const s = await pair(base, gw, '/api/status', '/api/status', auth, auth, duration)
    const h = await pair(base, gw, '/health', '/health', {}, {}, duration)
    out.push({
      id: 'P1',
      name: 'authenticated GET /api/status vs bare Fastify (CPU/req efficiency)',
      value: s.a.cpu / s.b.cpu,
      unit: '×',
      target: '≥ 0.90',
      pass: s.a.cpu / s.b.cpu >= 0.9,
      extra: `req/s ratio ${(s.b.rps / s.a.rps).toFixed(2)}×, ${s.b.cpu.toFixed(0)} vs ${s.a.cpu.toFixed(0)} µs/req, non-2xx ${s.b.non2xx}`,
    })
    out.push({
      id: 'P1',
      name: 'public GET /health vs bare Fastify (CPU/req efficiency)',
      value: h.a.cpu / h.b.cpu,
      unit: '×',
      target: '≥ 0.95',
      pass: h.a.cpu / h.b.cpu >= 0.95,
      extra: `req/s ratio ${(h.b.rps / h.a.rps).toFixed(2)}×, ${h.b.cpu.toFixed(0)} vs ${h.a.cpu.toFixed(0)} µs/req, non-2xx ${h.b.non2xx}`,
    })
    out.push({ id: 'P4', name: 'RSS after start, all default plugins', value: rssStart, unit: 'MB', target: '< 100', pass: rssStart < 100 })
    const rssLoad = rssMb(gw.pid)
    out.push({ id: 'P4', name: 'RSS after the P1 load, all default plugins', value: rssLoad, unit: 'MB', target: '< 100', pass: rssLoad < 100 })
  } finally {
    await gw.stop()
    await base.stop()
  }
  return out
}

function synthesize(dir, count, routesEach) {
  rmSync(dir, { recursive: true, force: true })
  const paths = []
  for (let i = 0; i < count; i++) {
    const d = join(dir, `synth-${i}`)
    mkdirSync(d, { recursive: true })
    writeFileSync(join(d, 'revka.plugin.json'), JSON.stringify({ id: `synth-${i}`, version: '1.0.0', api: '^0.1.0', entry: 'index.js', configSchema: {} }))
    const routes = Array.from(
      { length: routesEach },
      (_, j) =>
        `api.routes.add({ method: 'GET', url: '/api/synth/${i}/r${j}/:id', auth: 'bearer', handler: (req) => ({ i: ${i}, j: ${j}, id: req.params.id }) })`,
    ).join('\n    ')
    writeFileSync(
      join(d, 'index.js'),
      `import { definePlugin } from '@revka/plugin-sdk'\nexport default definePlugin({ setup(api) {\n    ${routes}\n    api.hooks.status.tap((doc) => doc)\n} })\n`,
    )
    paths.push(d)
  }
  return paths
}

export async function p2(duration = 5) {
  // inside the project so they import natively, like an installed plugin would
  const dir = join(ROOT, '.tmp', 'bench-synthetic')
  const paths = synthesize(dir, 100, 5)
  const none = await startGateway()
  // listed as enabled: a discovered plugin that is not listed stays disabled (and costs nothing)
  const many = await startGateway({ plugins: { paths, plugins: Object.fromEntries(paths.map((_, i) => [`synth-${i}`, { enabled: true }])) } })
  try {
    const started = (await (await fetch(many.url + '/api/status', { headers: auth })).json()).plugins.filter(
      (p) => p.id.startsWith('synth-') && p.status === 'started',
    ).length
    if (started !== 100) throw new Error(`only ${started} of 100 synthetic plugins started`)
    const size = async (g, path) => (await (await fetch(g.url + path, { headers: auth })).arrayBuffer()).byteLength
    const out = []
    // /api/status and /health list every plugin (one health component each): their answers grow
    // with the plugins; /api/devices answers the same bytes in both, so it shows the per-request
    // overhead alone (routing among 500 more routes, hooks, auth)
    for (const path of ['/api/status', '/health', '/api/devices']) {
      const r = await pair(none, many, path, path, auth, auth, duration)
      out.push({
        id: 'P2',
        name: `100 synthetic plugins (500 routes) vs none, authenticated ${path} (CPU/req)`,
        value: r.a.cpu / r.b.cpu,
        unit: '×',
        target: '≥ 0.97',
        pass: r.a.cpu / r.b.cpu >= 0.97,
        extra: `req/s ratio ${(r.b.rps / r.a.rps).toFixed(2)}×, answer ${await size(none, path)} vs ${await size(many, path)} bytes`,
      })
    }
    return out
  } finally {
    await many.stop()
    await none.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
