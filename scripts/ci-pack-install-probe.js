#!/usr/bin/env node
// scripts/ci-pack-install.sh's probe of one installed gateway (issue 20):
//   node ci-pack-install-probe.js <label> <the installed revka command> <its package folder> <empty HOME>
// Starts `revka gateway` from an empty folder with nothing but HOME set (the
// embedded defaults: state in ~/.revka), pairs with the code it prints, and checks what an
// operator would: /api/status answers the token with every plugin's state, the npm plugin
// installed beside the gateway runs, the terminal plugin runs exactly when node-pty was installed,
// and the gateway wrote nothing into its own package folder. Exits 1 with the reason otherwise.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const [label, bin, pkg, home] = process.argv.slice(2)
const fail = (msg) => {
  console.error(`ci-pack-install: [${label}] ${msg}`)
  process.exit(1)
}

/** every file under dir with its mtime: the package folder must be the same after a run */
function listing(dir, out = new Map()) {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, d.name)
    if (d.isDirectory()) listing(p, out)
    else out.set(p, statSync(p).mtimeMs)
  }
  return out
}

const env = { PATH: process.env.PATH, HOME: home, REVKA_GATEWAY_PORT: '0', REVKA_LOG_LEVEL: 'warn' }
const cwd = join(home, 'cwd')
mkdirSync(cwd, { recursive: true })
const before = listing(pkg)

const t0 = performance.now()
const child = spawn(bin, ['gateway'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
let out = ''
let err = ''
child.stdout.setEncoding('utf8').on('data', (d) => {
  out += d
})
child.stderr.setEncoding('utf8').on('data', (d) => {
  err += d
})
const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))

/** wait until the gateway printed its address and pairing code */
async function started() {
  const deadline = Date.now() + 60_000
  for (;;) {
    const url = /listening on (http:\/\/\S+)/.exec(out)?.[1]
    const code = /PAIRING CODE: (\d{6})/.exec(out)?.[1]
    if (url && code) return { url, code }
    if (child.exitCode !== null || Date.now() > deadline) fail(`no address and pairing code on stdout:\n${out}\n${err}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

try {
  const { url, code } = await started()
  const startMs = performance.now() - t0
  const rssMb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024

  const paired = await fetch(`${url}/api/pair`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code, device_name: 'ci-pack-install' }),
  })
  const { token } = await paired.json()
  if (paired.status !== 200 || !token) fail(`POST /api/pair → ${paired.status}`)
  const auth = { authorization: `Bearer ${token}` }

  const res = await fetch(`${url}/api/status`, { headers: auth })
  const status = await res.json()
  if (res.status !== 200 || !Array.isArray(status.plugins)) fail(`GET /api/status with the token → ${res.status} ${JSON.stringify(status)}`)
  if (status.version !== JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).version) fail(`/api/status version ${status.version}`)
  const plugin = (id) => status.plugins.find((p) => p.id === id) ?? fail(`/api/status lists no plugin ${id}`)
  const failedOthers = status.plugins.filter((p) => p.id !== 'terminal' && ['failed', 'incompatible'].includes(p.status))
  if (failedOthers.length) fail(`plugins failed: ${JSON.stringify(failedOthers)}`)

  const hello = plugin('ci-hello')
  if (hello.status !== 'started') fail(`the npm plugin beside the gateway is ${hello.status}: ${hello.diagnostic}`)
  const hi = await fetch(`${url}/ci-hello`, { headers: auth })
  const hiBody = await hi.text()
  if (hi.status !== 200 || JSON.parse(hiBody).hello !== 'from npm') fail(`GET /ci-hello → ${hi.status} ${hiBody}`)

  const terminal = plugin('terminal')
  // where the gateway would find it: its own node_modules or, installed as a dependency, a hoisted one
  let hasPty = true
  try {
    createRequire(join(pkg, 'package.json')).resolve('node-pty')
  } catch {
    hasPty = false
  }
  if (hasPty && terminal.status !== 'started') fail(`node-pty is installed but the terminal plugin is ${terminal.status}: ${terminal.diagnostic}`)
  if (!hasPty && !(terminal.status === 'failed' && /node-pty is not installed/.test(terminal.diagnostic ?? ''))) {
    fail(`without node-pty the terminal plugin should report itself unavailable, it is ${terminal.status}: ${terminal.diagnostic}`)
  }

  child.kill('SIGTERM')
  const { code: exitCode } = await exited
  if (exitCode !== 0) fail(`the gateway exited ${exitCode} on SIGTERM:\n${err}`)
  const after = listing(pkg)
  const changed = [...after].filter(([p, m]) => before.get(p) !== m).map(([p]) => p)
  if (changed.length || after.size !== before.size)
    fail(`the gateway wrote into its package folder: ${changed.join(', ') || `${after.size - before.size} files`}`)
  if (!existsSync(join(home, '.revka'))) fail('no state in ~/.revka')

  console.log(
    `[${label}] ok: paired, /api/status 200 (${status.plugins.length} plugins), npm plugin ci-hello started, terminal ${terminal.status}${hasPty ? '' : ' (node-pty not installed)'}; spawn → pairing code ${startMs.toFixed(0)} ms, RSS ${rssMb.toFixed(1)} MB`,
  )
} finally {
  if (child.exitCode === null) child.kill('SIGKILL')
}
