/**
 * Shared setup for the kernel tests: where the fixture plugins live, throwaway temp folders, and a
 * Kernel built the way the CLI builds one but quiet and on a random loopback port. Tests that need
 * the kernel itself (plugins files, npm folders, essential failures) use `makeKernel`; the rest use
 * the SDK harness like any plugin author would.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Kernel, type KernelOptions } from '../../../kernel/index.js'

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'plugins')

/** absolute folder of a fixture plugin under test/fixtures/plugins */
export const fixture = (id: string): string => join(FIXTURES, id)

const made: string[] = []

/** a fresh folder under the OS temp dir, removed by `cleanupTemp` */
export function tempDir(prefix = 'revka-kt-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix))
  made.push(d)
  return d
}

export function cleanupTemp(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true })
}

/** write a file, creating its folders; objects are written as JSON */
export function put(path: string, content: string | object): string {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  return path
}

/**
 * The process env minus anything that would pick a port or host for us, plus a private state dir.
 * REVKA_STATE_DIR wins over every other state-dir setting, so each kernel gets its own.
 */
export function kernelEnv(stateDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, REVKA_STATE_DIR: stateDir, ...extra }
  for (const k of ['REVKA_GATEWAY_PORT', 'PORT', 'REVKA_GATEWAY_HOST', 'HOST', 'REVKA_PLUGINS_FILE']) if (!(k in extra)) delete env[k]
  return env
}

/** a quiet kernel on 127.0.0.1:0 with its own state dir; caller must `stop()` it in finally */
export function makeKernel(opts: KernelOptions & { envExtra?: Record<string, string> } = {}): Kernel {
  const { envExtra, ...rest } = opts
  const stateDir = tempDir('revka-kt-state-')
  return new Kernel({
    env: kernelEnv(stateDir, envExtra),
    logStdout: false,
    logLevel: 'fatal',
    port: 0,
    host: '127.0.0.1',
    drainMs: 2000,
    // never read the repo's own revka.plugins.json: what it lists is someone else's business
    ...(rest.pluginsFile === undefined && rest.pluginsDoc === undefined ? { pluginsDoc: { plugins: {} } } : {}),
    ...rest,
  })
}

/** inject through the kernel's Fastify instance, from loopback like the harness does */
export async function get(k: Kernel, url: string): Promise<{ status: number; headers: Record<string, unknown>; json: any }> {
  const res = await k.app.inject({ method: 'GET', url, remoteAddress: '127.0.0.1' })
  let json: any
  try {
    json = JSON.parse(res.body)
  } catch {
    json = res.body
  }
  return { status: res.statusCode, headers: res.headers, json }
}

/** the PluginInfo of one plugin, failing loudly when it was not discovered */
export function info(k: Kernel, id: string) {
  const p = k.pluginInfos().find((x) => x.id === id)
  if (!p)
    throw new Error(
      `plugin ${id} not discovered; have ${k
        .pluginInfos()
        .map((x) => x.id)
        .join(', ')}`,
    )
  return p
}
