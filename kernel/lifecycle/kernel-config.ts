/**
 * What the kernel reads before it builds anything: its options, config.toml (gateway settings,
 * `[cluster]`) and the plugins file. Kept apart from the lifecycle so the kernel's constructor is
 * only wiring; a bad file is one REVKA_ERR_CONFIG naming the file, before any port or engine opens.
 */
import { RevkaError } from '@revka/plugin-sdk'
import type { StatePaths } from '../config/state-dir.js'
import { loadConfigFile, settingsFrom, ConfigError, type GatewaySettings } from '../config/gateway-config.js'
import { GatewayConfigStore } from '../config/config-store.js'
import { sweepTempFiles } from '../config/fs-atomic.js'
import { readPluginsFile, pluginsFilePath, type PluginsFile } from '../registry/plugins-file.js'
import { clusterSettingsFrom, type ClusterSettings } from '../cluster/settings.js'

export interface KernelOptions {
  stateDir?: string
  pluginsFile?: string
  /** an in-memory plugins file instead of reading one (tests) */
  pluginsDoc?: { paths?: string[]; builtins?: boolean; plugins?: Record<string, { enabled?: boolean; options?: Record<string, unknown> }> }
  mode?: 'gateway' | 'daemon'
  env?: NodeJS.ProcessEnv
  host?: string
  port?: number
  builtinDir?: string | null
  extraPaths?: string[]
  only?: string[]
  options?: Record<string, Record<string, unknown>>
  /** node_modules folders scanned for npm plugins instead of the project's (tests) */
  nodeModules?: string[]
  clock?: () => number
  logStdout?: boolean
  logLevel?: string
  startTimeoutMs?: number
  drainMs?: number
}

export interface KernelConfig {
  /** `[cluster]`: null on a single node (the default) */
  clusterSettings: ClusterSettings | null
  configStore: GatewayConfigStore
  /** config.toml's settings with the options' host and port over them */
  settings: GatewaySettings
  pluginsFile: PluginsFile
}

export function loadKernelConfig(paths: StatePaths, env: NodeJS.ProcessEnv, opts: KernelOptions): KernelConfig {
  // only the starting gateway sweeps: a CLI reading config.toml must not touch a live writer's temp file
  sweepTempFiles(paths.configFile)
  const { doc } = loadConfigFile(paths.configFile)
  const clusterSettings = named(paths.configFile, () => clusterSettingsFrom(doc, env))
  // PUT /api/config checks a new config against the overrides this gateway runs with
  const configStore = new GatewayConfigStore(paths.configFile, doc, { env, host: opts.host })
  const settings = named(paths.configFile, () => settingsFrom(doc, env))
  if (opts.host !== undefined) settings.host = opts.host
  if (opts.port !== undefined) settings.port = opts.port
  const pluginsFile: PluginsFile = opts.pluginsDoc
    ? {
        path: '(in memory)',
        exists: true,
        paths: opts.pluginsDoc.paths ?? [],
        builtins: opts.pluginsDoc.builtins !== false,
        plugins: opts.pluginsDoc.plugins ?? {},
        raw: opts.pluginsDoc as any,
      }
    : readPluginsFile(pluginsFilePath(opts.pluginsFile, env))
  return { clusterSettings, configStore, settings, pluginsFile }
}

/** a config error names the file it is in */
function named<T>(file: string, read: () => T): T {
  try {
    return read()
  } catch (e) {
    if (e instanceof ConfigError) throw new RevkaError('REVKA_ERR_CONFIG', `${file}: ${e.message}`)
    throw e
  }
}
