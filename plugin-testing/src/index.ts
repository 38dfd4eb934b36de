/**
 * @revka/plugin-testing — boot a real kernel in memory with a temporary state dir and the
 * plugins you name, then call it through `inject` or over real sockets after `listen()`.
 *
 * ```ts
 * const k = await startTestKernel({ paths: [here], mockAgent: true, listen: false })
 * const res = await k.inject({ method: 'POST', url: '/webhook/x', payload: { text: 'hi' } })
 * await k.agent!.waitForTurns(1)
 * await k.stop()
 * ```
 *
 * A plugin that fails (setup, start, a missing service) fails `startTestKernel` with its diagnostic,
 * unless the test names it in `allowFailed`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PluginInfo } from '@revka/plugin-sdk'
// the gateway package's documented export for its own tooling (package.json "exports")
import { Kernel, flushLog } from 'revka/kernel'
import { recordEvents, type EventSink } from './events.js'
import { createMockAgent, MOCK_AGENT_PLUGIN, type MockAgent, type MockReply } from './mock-agent.js'

export { openJsonSocket, wsCredentials } from './ws.js'
export type { JsonFrame, JsonSocket, JsonSocketOptions } from './ws.js'
export { sqliteSnapshot, treeSnapshot, pluginStateSnapshot } from './sqlite.js'
export { rawJson } from './http.js'
export type { RawJsonResponse } from './http.js'
export type { EventSink, RecordedEvent } from './events.js'
export type { MockAgent, MockReply, RecordedTurn } from './mock-agent.js'

/** A clock tests move by hand (lockouts, code TTLs, signed URL expiry). */
export class ManualClock {
  constructor(public nowMs = Date.now()) {}
  readonly fn = (): number => this.nowMs
  advance(ms: number): void {
    this.nowMs += ms
  }
}

export interface TestKernelOptions {
  /** ids of discovered plugins to enable; every other discovered plugin stays disabled */
  plugins?: string[]
  /** extra plugin folders (third-party style); always enabled */
  paths?: string[]
  /** options by plugin id, validated against each configSchema like revka.plugins.json's */
  options?: Record<string, Record<string, unknown>>
  /** config.toml contents */
  config?: string
  env?: Record<string, string | undefined>
  /** discover the built-ins under plugins/ (default true) */
  builtins?: boolean
  clock?: ManualClock
  /** pair one device and expose its token (default true) */
  pair?: boolean
  mode?: 'gateway' | 'daemon'
  startTimeoutMs?: number
  /** reuse a state dir (restart tests); it is then not deleted at stop */
  stateDir?: string
  /**
   * true: open a real port on 127.0.0.1:0 at once. false: open nothing — plugins start and requests
   * go through `inject` only (`listen()` can still open the port later). Default: a loopback port,
   * so `url` is set.
   */
  listen?: boolean
  drainMs?: number
  /**
   * Run the mock agent runtime (records turns, answers offline) as the `agent-runtime` service
   * instead of the real one; `true` answers `echo: <text>`, or pass the reply. See `k.agent`.
   */
  mockAgent?: boolean | MockReply
  /**
   * Ids of plugins this test expects to fail or be incompatible. Any other enabled plugin that
   * fails makes `startTestKernel` throw with its diagnostic (not a kernel answering 404).
   */
  allowFailed?: string[]
}

export interface InjectOptions {
  method?: string
  url: string
  headers?: Record<string, string>
  payload?: string | Buffer | object
  query?: Record<string, string>
  remoteAddress?: string
}

export interface InjectResponse {
  statusCode: number
  headers: Record<string, string | string[] | number | undefined>
  body: string
  json<T = any>(): T
}

export interface TestKernel {
  inject(opts: InjectOptions): Promise<InjectResponse>
  /** a paired device's bearer token, or null with `pair: false` or pairing off */
  readonly token: string | null
  readonly serviceToken: string
  readonly stateDir: string
  readonly url: string | null
  listen(): Promise<string>
  plugins(): PluginInfo[]
  plugin(id: string): PluginInfo | undefined
  /** pair another device through the pairing service */
  pairDevice(name?: string): { token: string; deviceId: string }
  /** stop the kernel; throws if a plugin left taps or connections behind, or failed to stop */
  stop(): Promise<void>
  /** write out what the kernel's log has buffered to logs/gateway.log (tests that read the file) */
  flushLog(): void
  /** every event emitted since the kernel was created (agent turns, plugins' own events) */
  readonly events: EventSink
  /** the mock agent runtime's recorder with `mockAgent`, else null */
  readonly agent: MockAgent | null
  /** the kernel itself, for kernel tests; plugin tests should not need it */
  readonly kernel: Kernel
}

/** The mock agent runtime's plugin folder (inside this package). */
const MOCK_AGENT_DIR = join(dirname(fileURLToPath(import.meta.url)), 'mock-agent-runtime')

/** Enabled plugins that failed or are incompatible and the test did not expect to. */
function unexpectedFailures(infos: PluginInfo[], allowed: string[]): string[] {
  return infos
    .filter((p) => p.enabled && (p.status === 'failed' || p.status === 'incompatible') && !allowed.includes(p.id))
    .map((p) => `${p.id} is ${p.status}: ${p.diagnostic ?? p.lastError ?? 'no diagnostic'}`)
}

function manifestId(dir: string): string {
  return JSON.parse(readFileSync(join(dir, 'revka.plugin.json'), 'utf8')).id
}

export async function startTestKernel(opts: TestKernelOptions = {}): Promise<TestKernel> {
  const ownState = !opts.stateDir
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'revka-test-'))
  mkdirSync(stateDir, { recursive: true })
  if (opts.config !== undefined) writeFileSync(join(stateDir, 'config.toml'), opts.config)
  const mock = opts.mockAgent ? createMockAgent(typeof opts.mockAgent === 'boolean' ? undefined : opts.mockAgent) : null
  const paths = [...(opts.paths ?? []).map((p) => resolve(p)), ...(mock ? [MOCK_AGENT_DIR] : [])]
  const options = mock ? { ...opts.options, [MOCK_AGENT_PLUGIN]: { harness_id: mock.id } } : opts.options
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, REVKA_STATE_DIR: stateDir }
  for (const [k, v] of Object.entries(opts.env ?? {})) if (v === undefined) delete env[k]
  // tests choose their port and host
  delete env.REVKA_GATEWAY_PORT
  delete env.PORT
  delete env.REVKA_GATEWAY_HOST
  delete env.HOST
  if (opts.env?.REVKA_GATEWAY_HOST) env.REVKA_GATEWAY_HOST = opts.env.REVKA_GATEWAY_HOST
  const kernel = new Kernel({
    env,
    pluginsDoc: { builtins: opts.builtins !== false, plugins: {} },
    extraPaths: paths,
    only: [...(opts.plugins ?? []), ...paths.map(manifestId)],
    options,
    clock: opts.clock?.fn,
    logStdout: process.env.REVKA_TEST_LOG === '1',
    logLevel: process.env.REVKA_TEST_LOG === '1' ? 'debug' : 'warn',
    mode: opts.mode,
    port: 0,
    startTimeoutMs: opts.startTimeoutMs,
    drainMs: opts.drainMs ?? 2000,
  })
  const events = recordEvents(kernel.events)
  const abandon = async (reason: string) => {
    // a refused start must not leave a half-started kernel holding the state dir's files open
    await kernel.stop(reason).catch(() => {})
    events.close()
    mock?.dispose()
    if (ownState) rmSync(stateDir, { recursive: true, force: true })
  }
  try {
    await kernel.boot()
  } catch (e) {
    await abandon('boot failed')
    throw e
  }
  let url: string | null = null
  let token: string | null = null
  const pairDevice = (name = 'test-device') => {
    const code = kernel.auth.pairing.newCode()
    if (!code) throw new Error('pairing is disabled in this kernel')
    const r = kernel.auth.pairing.pair(code, 'test-harness', { name, deviceType: 'test' })
    return { token: r.token, deviceId: r.deviceId }
  }
  const listen = async () => {
    if (!url) url = await kernel.listen()
    return url
  }
  try {
    if (opts.listen === false) await kernel.startPlugins()
    else await listen()
  } catch (e) {
    // a refused listen (REVKA_ERR_UNSAFE_BIND, a failed essential plugin)
    await abandon('listen failed')
    throw e
  }
  const failed = unexpectedFailures(kernel.pluginInfos(), opts.allowFailed ?? [])
  if (failed.length) {
    await abandon('plugin failed')
    throw new Error(`REVKA_ERR_TEST_PLUGIN_FAILED: ${failed.join('; ')}`)
  }
  if (opts.pair !== false && kernel.settings.requirePairing) token = pairDevice().token

  const tk: TestKernel = {
    kernel,
    stateDir,
    serviceToken: kernel.auth.serviceToken,
    get token() {
      return token
    },
    get url() {
      return url
    },
    listen,
    plugins: () => kernel.pluginInfos(),
    plugin: (id) => kernel.pluginInfos().find((p) => p.id === id),
    pairDevice,
    flushLog: () => flushLog(kernel.log),
    events,
    agent: mock?.agent ?? null,
    async inject(o) {
      const res = await kernel.app.inject({
        method: (o.method ?? 'GET') as any,
        url: o.url,
        headers: o.headers,
        payload: o.payload as any,
        query: o.query,
        remoteAddress: o.remoteAddress ?? '127.0.0.1',
      })
      return { statusCode: res.statusCode, headers: res.headers as any, body: res.body, json: () => JSON.parse(res.body) }
    },
    async stop() {
      await kernel.stop('test stop')
      events.close()
      mock?.dispose()
      const leaks: string[] = []
      for (const [name, hook] of Object.entries(kernel.hooks)) {
        const taps = (hook as any).taps as Array<{ name: string }>
        if (taps.length) leaks.push(`hook ${name} still tapped by ${taps.map((t) => t.name).join(', ')}`)
      }
      if (kernel.auth.connections.count()) leaks.push(`${kernel.auth.connections.count()} live connections`)
      for (const p of kernel.pluginInfos())
        if (p.lastError?.startsWith('REVKA_ERR_PLUGIN_TIMEOUT: stop') || p.lastError?.includes('stop of')) leaks.push(`${p.id}: ${p.lastError}`)
      if (ownState) rmSync(stateDir, { recursive: true, force: true })
      if (leaks.length) throw new Error(`REVKA_ERR_TEST_LEAK: ${leaks.join('; ')}`)
    },
  }
  return tk
}
