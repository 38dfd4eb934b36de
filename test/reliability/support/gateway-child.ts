/**
 * The real gateway as a child process (`node bin/revka.js gateway`), the way an operator runs it:
 * its own state dir, a plugins file, a random port, and REVKA_GATEWAY_ADMIN_TOKEN as a bearer the
 * test knows. Every child is remembered so `killAllChildren()` (in an `after` hook) leaves nothing
 * running even when a test fails half-way.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './builtins.js'

const BIN = join(ROOT, 'bin', 'revka.js')
const live = new Set<ChildProcess>()

export interface GatewayChild {
  readonly url: string
  readonly pid: number
  output(): string
  /** resolves with how the process ended */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>
  /** SIGKILL: no drain, no stop callbacks — a crash */
  kill9(): Promise<void>
  signal(sig: NodeJS.Signals): void
}

export interface SpawnOptions {
  stateDir: string
  pluginsFile: string
  adminToken: string
  env?: Record<string, string>
  startTimeoutMs?: number
  /** `revka daemon` runs the daemon-mode services too (the cron scheduler); default `gateway` */
  command?: 'gateway' | 'daemon'
}

/** Write a plugins file: built-ins on, `options` per plugin id, extra plugin folders in `paths`. */
export function writePluginsFile(path: string, options: Record<string, Record<string, unknown>>, paths: string[] = []): string {
  const plugins = Object.fromEntries(Object.entries(options).map(([id, o]) => [id, { enabled: true, options: o }]))
  writeFileSync(path, JSON.stringify({ builtins: true, paths, plugins }, null, 2))
  return path
}

export async function spawnGateway(o: SpawnOptions): Promise<GatewayChild> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...o.env,
    REVKA_STATE_DIR: o.stateDir,
    REVKA_GATEWAY_PORT: '0',
    REVKA_PLUGINS_FILE: o.pluginsFile,
    REVKA_GATEWAY_ADMIN_TOKEN: o.adminToken,
    REVKA_MCP_HOME: o.stateDir,
  }
  for (const k of ['REVKA_GATEWAY_HOST', 'HOST', 'PORT', 'REVKA_TESTING']) delete env[k]
  const child = spawn(process.execPath, [BIN, o.command ?? 'gateway'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  live.add(child)
  let out = ''
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child)
      resolve({ code, signal, at: Date.now() })
    })
  })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`gateway did not start within ${o.startTimeoutMs ?? 20_000} ms:\n${out}`))
    }, o.startTimeoutMs ?? 20_000)
    const onData = (c: Buffer) => {
      out += c.toString()
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1].replace(/\/$/, ''))
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    void exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new Error(`gateway exited (${code ?? signal}) before listening:\n${out}`))
    })
  })
  return {
    url,
    pid: child.pid!,
    output: () => out,
    exited,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
    signal(sig) {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig)
    },
  }
}

/** SIGKILL every child still running (call from `after`). */
export async function killAllChildren(): Promise<void> {
  const waits = [...live].map(
    (c) =>
      new Promise<void>((r) => {
        c.once('exit', () => r())
        c.kill('SIGKILL')
      }),
  )
  await Promise.all(waits)
}
