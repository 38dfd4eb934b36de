// Child processes for benchmarks: the gateway (`node --max-semi-space-size=4 bin/revka.js gateway`, as npm start runs it) and a bare
// Fastify baseline, with CPU time and RSS read from /proc so figures are per-process, not per-run.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const ADMIN_TOKEN = 'rk_bench_' + 'a'.repeat(56)

const TICK = 100 // USER_HZ on Linux

/** utime+stime of a process in ms */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICK
}

/** resident set size in MB */
export function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

function waitForLine(child, re, timeoutMs) {
  return new Promise((resolve, reject) => {
    let buf = ''
    const timer = setTimeout(() => reject(new Error(`no match for ${re} within ${timeoutMs} ms:\n${buf}`)), timeoutMs)
    const on = (d) => {
      buf += d
      const m = re.exec(buf)
      if (m) {
        clearTimeout(timer)
        child.stdout.off('data', on)
        resolve(m)
      }
    }
    child.stdout.on('data', on)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited ${code} before ready:\n${buf}`))
    })
  })
}

/**
 * Start the gateway (`mode: 'daemon'` for `revka daemon`; `state` to reuse a prepared state dir).
 * `plugins` is a revka.plugins.json document (default: the built-ins' defaults); `bin` another
 * revka.js (an installed package's, bench/i1-installed.js).
 * Resolves once it printed its address; `readyMs` is spawn → listening line.
 */
export async function startGateway({
  plugins,
  env = {},
  config,
  // as `npm start` and the systemd unit run it (bin/revka.js adds it itself on Node >= 22.15)
  nodeArgs = ['--max-semi-space-size=4'],
  mode = 'gateway',
  state = mkdtempSync(join(tmpdir(), 'revka-bench-')),
  bin = join(ROOT, 'bin/revka.js'),
} = {}) {
  const pluginsFile = join(state, 'revka.plugins.json')
  writeFileSync(pluginsFile, JSON.stringify(plugins ?? { plugins: {} }))
  if (config) writeFileSync(join(state, 'config.toml'), config)
  const t0 = performance.now()
  const child = spawn(process.execPath, [...nodeArgs, bin, mode], {
    cwd: ROOT,
    env: {
      ...process.env,
      REVKA_STATE_DIR: state,
      REVKA_GATEWAY_PORT: '0',
      REVKA_PLUGINS_FILE: pluginsFile,
      REVKA_GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
      REVKA_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  child.stdout.setEncoding('utf8')
  const m = await waitForLine(child, /listening on (http:\/\/[^\s]+)/, 30_000)
  const readyMs = performance.now() - t0
  child.stdout.resume()
  return { child, pid: child.pid, url: m[1], state, readyMs, stop: () => stop(child) }
}

/**
 * A bare Fastify server answering the same JSON the gateway does: the same-run baseline.
 * `bodies` maps paths to the documents to serve (captured from the gateway).
 */
export async function startBaseline(bodies) {
  const file = join(mkdtempSync(join(tmpdir(), 'revka-baseline-')), 'bodies.json')
  writeFileSync(file, JSON.stringify(bodies))
  const child = spawn(process.execPath, [join(ROOT, 'bench/lib/baseline-server.js'), file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  child.stdout.setEncoding('utf8')
  const m = await waitForLine(child, /listening on (http:\/\/[^\s]+)/, 15_000)
  child.stdout.resume()
  return { child, pid: child.pid, url: m[1], stop: () => stop(child) }
}

export function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once('exit', resolve)
    child.kill('SIGTERM')
    setTimeout(() => child.kill('SIGKILL'), 5000).unref()
  })
}
