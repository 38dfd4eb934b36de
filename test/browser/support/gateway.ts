/**
 * A real gateway for the browser tests: `node bin/revka.js gateway` on a fresh 0700 state dir,
 * a free loopback port, every default plugin, and the offline model slowed enough (chunk_delay_ms)
 * that a streamed reply is visibly in progress for a while. Resolves with the address and the
 * pairing code the gateway prints, as an operator would read them.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

export interface Gateway {
  /** the printed address (with the path prefix, when one is set) */
  url: string
  /** the printed pairing code */
  code: string
  stateDir: string
  output(): string
  /** a fresh code from the loopback admin route (codes are single use) */
  newCode(): Promise<string>
  /** a token of its own, paired over the API (for arranging things the test then watches) */
  pair(name: string): Promise<{ token: string; deviceId: string }>
  stop(): Promise<void>
}

/** the tests pair a dozen browsers within a minute: more than the default pairing rate allows */
export const CONFIG = `default_provider = "offline"

[gateway]
pair_rate_limit_per_minute = 120

[providers.offline]
type = "offline"
chunk_delay_ms = 60
input_cost_per_mtok = 3
output_cost_per_mtok = 15
`

/** `port`: a fixed port, for a test whose config must name its own origin (WebAuthn's rp_origin) */
export async function startGateway(opts: { config?: string; port?: number } = {}): Promise<Gateway> {
  const stateDir = mkdtempSync(join(tmpdir(), 'revka-browser-'))
  writeFileSync(join(stateDir, 'config.toml'), opts.config ?? CONFIG)
  const pluginsFile = join(stateDir, 'revka.plugins.json')
  writeFileSync(pluginsFile, '{ "plugins": {} }')
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REVKA_STATE_DIR: stateDir,
    REVKA_PLUGINS_FILE: pluginsFile,
    REVKA_GATEWAY_HOST: '127.0.0.1',
    REVKA_GATEWAY_PORT: String(opts.port ?? 0),
    REVKA_LOG_LEVEL: 'info',
  }
  delete env.REVKA_WEB_ROOT
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'bin/revka.js'), 'gateway'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const { url, code } = await new Promise<{ url: string; code: string }>((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      rej(new Error(`gateway did not start within 20 s:\n${out}`))
    }, 20_000)
    const onData = (c: Buffer) => {
      out += c.toString()
      const u = /listening on (http:\/\/\S+)/.exec(out)
      const p = /PAIRING CODE: (\d+)/.exec(out)
      if (u && p) {
        clearTimeout(timer)
        res({ url: u[1].replace(/\/$/, ''), code: p[1] })
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (c) => {
      clearTimeout(timer)
      rej(new Error(`gateway exited (${c}) before listening:\n${out}`))
    })
  })
  const origin = new URL(url).origin
  const prefix = new URL(url).pathname.replace(/\/$/, '')
  const newCode = async () => {
    const r = await fetch(`${origin}${prefix}/admin/paircode/new`, { method: 'POST' })
    const body = (await r.json()) as { pairing_code: string }
    if (!r.ok) throw new Error(`paircode/new answered ${r.status}`)
    return body.pairing_code
  }
  return {
    url,
    code,
    stateDir,
    newCode,
    output: () => out,
    async pair(name) {
      const r = await fetch(`${origin}${prefix}/api/pair`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: await newCode(), device_name: name }),
      })
      const body = (await r.json()) as { token: string; device_id: string }
      if (!r.ok) throw new Error(`pair answered ${r.status}`)
      return { token: body.token, deviceId: body.device_id }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(t)
      rmSync(stateDir, { recursive: true, force: true })
    },
  }
}
