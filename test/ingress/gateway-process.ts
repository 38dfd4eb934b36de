/**
 * The real gateway as a child process (`node bin/revka.js gateway`), for crash-safety tests: start
 * it on a state dir with a plugins file that enables only what the test names, read the port it
 * prints, SIGKILL it mid-delivery, and start it again on the same state dir.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const BIN = join(ROOT, 'bin', 'revka.js')

/** every built-in plugin id, read from disk so a plugin added later is switched off too */
export function builtinPluginIds(): string[] {
  const dir = join(ROOT, 'plugins')
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'revka.plugin.json')))
    .map((d) => JSON.parse(readFileSync(join(dir, d.name, 'revka.plugin.json'), 'utf8')).id as string)
}

export interface GatewayProcess {
  readonly url: string
  readonly output: () => string
  /** SIGKILL: no drain, no stop callbacks — a crash */
  kill(): Promise<void>
}

/**
 * Write `<stateDir>/revka.plugins.json` enabling exactly `plugins` (with their options), every other
 * built-in disabled, then start the gateway on a free port.
 */
export function startGatewayProcess(
  stateDir: string,
  plugins: Record<string, Record<string, unknown>>,
  env: Record<string, string> = {},
): Promise<GatewayProcess> {
  const file = join(stateDir, 'revka.plugins.json')
  const entries: Record<string, { enabled: boolean; options?: Record<string, unknown> }> = {}
  for (const id of builtinPluginIds()) entries[id] = { enabled: false }
  for (const [id, options] of Object.entries(plugins)) entries[id] = { enabled: true, options }
  writeFileSync(file, JSON.stringify({ builtins: true, plugins: entries }, null, 2))
  return spawnGateway(stateDir, file, env)
}

/** Start `revka gateway` on `stateDir` with the plugins file `file`; resolves once it listens. */
export async function spawnGateway(stateDir: string, file: string, env: Record<string, string> = {}): Promise<GatewayProcess> {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...env,
    REVKA_STATE_DIR: stateDir,
    REVKA_GATEWAY_PORT: '0',
    REVKA_PLUGINS_FILE: file,
    REVKA_LOG_LEVEL: 'warn',
  }
  delete childEnv.REVKA_GATEWAY_HOST
  delete childEnv.HOST
  delete childEnv.PORT
  const child: ChildProcess = spawn(process.execPath, [BIN, 'gateway'], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`gateway did not start within 15 s:\n${out}`))
    }, 15_000)
    const onData = (c: Buffer) => {
      out += c.toString()
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolveUrl(m[1].replace(/\/$/, ''))
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`gateway exited (${code}) before listening:\n${out}`))
    })
  })
  return {
    url,
    output: () => out,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
  }
}
