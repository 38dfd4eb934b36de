/**
 * `revka plugins enable|disable ID` as an operator runs it (`node bin/revka.js`) against a running
 * gateway: over the admin socket when config.toml names one, over loopback TCP with --port, the
 * service token read from the state dir. The gateway applies the change live and rewrites its
 * plugins file; a refusal is exit 1 with the gateway's reason; with no gateway running, the
 * command edits the plugins file itself. (Wrong tokens and unknown ids: plugins.live-switch.)
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { get } from 'node:http'
import { join } from 'node:path'
import { Kernel } from '../../kernel/index.js'
import { cleanupTemp, fixture, kernelEnv, put, REPO_ROOT, tempDir } from './helpers/kernel.js'

after(cleanupTemp)

const BIN = join(REPO_ROOT, 'bin', 'revka.js')
const IDS = ['fx-live-a', 'fx-live-b', 'fx-live-dep']

/** the CLI in a child process; async, so the in-process gateway keeps answering meanwhile */
function revka(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base: NodeJS.ProcessEnv = { ...process.env }
  for (const k of Object.keys(base)) if (k.startsWith('REVKA_') || k === 'NODE_OPTIONS') delete base[k]
  return new Promise((resolveP) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolveP({ code, stdout, stderr })
    })
  })
}

function status(url: string): Promise<number> {
  return new Promise((resolveP, reject) =>
    get(url, { agent: false }, (res) => {
      res.resume()
      resolveP(res.statusCode ?? 0)
    }).on('error', reject),
  )
}

test('plugins disable/enable reach the running gateway (admin socket, then --port), apply live and rewrite its file; no gateway: the file is edited', async () => {
  const dir = tempDir('revka-cli-live-')
  const stateDir = join(dir, 'state')
  mkdirSync(join(dir, 'run'), { recursive: true, mode: 0o700 })
  put(join(stateDir, 'config.toml'), `[gateway]\nadmin_socket = ${JSON.stringify(join(dir, 'run', 'admin.sock'))}\n`)
  const file = put(join(dir, 'revka.plugins.json'), {
    builtins: false,
    paths: IDS.map(fixture),
    plugins: Object.fromEntries(IDS.map((id) => [id, { enabled: true }])),
  })
  const env = { REVKA_STATE_DIR: stateDir, REVKA_PLUGINS_FILE: file }
  const k = new Kernel({
    env: kernelEnv(stateDir),
    pluginsFile: file,
    builtinDir: null,
    logStdout: false,
    logLevel: 'fatal',
    port: 0,
    host: '127.0.0.1',
    drainMs: 2000,
  })
  await k.start()
  let stopped = false
  try {
    // refused, with the gateway's reason; nothing changed
    const refused = await revka(['plugins', 'disable', 'fx-live-a'], env)
    assert.equal(refused.code, 1, refused.stdout)
    assert.match(
      refused.stderr,
      /the running gateway refused to disable fx-live-a: Plugin fx-live-a is required by fx-live-dep; disable it first \(plugin_required\)/,
    )
    assert.equal(await status(`${k.url}/fx/fx-live-a/hello`), 200)

    // over the admin socket (config.toml names it)
    const off = await revka(['plugins', 'disable', 'fx-live-dep'], env)
    assert.equal(off.code, 0, off.stderr)
    assert.match(off.stdout, /^fx-live-dep disabled: its routes are gone\nsaved in .*revka\.plugins\.json\n$/)
    assert.equal(await status(`${k.url}/fx/dep`), 404)
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).plugins['fx-live-dep'].enabled, false)

    // over TCP: --port forces it
    const on = await revka(['plugins', 'enable', 'fx-live-dep', '--port', String(k.port)], env)
    assert.equal(on.code, 0, on.stderr)
    assert.match(on.stdout, /fx-live-dep enabled: started, 1 route\(s\) mounted/)
    assert.equal(await status(`${k.url}/fx/dep`), 200)
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).plugins['fx-live-dep'].enabled, true)

    await k.stop()
    stopped = true
    // nothing listens: the command edits the file and says when it applies
    const offline = await revka(['plugins', 'disable', 'fx-live-dep'], env)
    assert.equal(offline.code, 0, offline.stderr)
    assert.match(offline.stdout, /fx-live-dep disabled in .*revka\.plugins\.json \(no gateway answered; it applies at the next start\)/)
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).plugins['fx-live-dep'].enabled, false)
  } finally {
    if (!stopped) await k.stop()
  }
})
