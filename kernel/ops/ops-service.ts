/**
 * The `kernel-ops` service: the doctor (the offline checks plus what a running gateway knows: the
 * embedded store, the components of the health snapshot, plugin failures with their diagnostics),
 * the cached CLI tool probe, and a description of every discovered plugin.
 */
import type { GatewayStatusService, OpsService, PluginDescription } from '@revka/plugin-sdk'
import type { StatePaths } from '../config/state-dir.js'
import type { PluginRecord } from '../registry/record.js'
import { CliToolProbe } from './cli-tools.js'
import { Findings, offlineChecks, report } from './doctor.js'

export interface OpsDeps {
  paths: StatePaths
  env: NodeJS.ProcessEnv
  records: () => PluginRecord[]
  status: GatewayStatusService
}

/** The embedded store is a plugin that provides `domain-store`: optional, looked up by manifest. */
function storeChecks(f: Findings, records: PluginRecord[]): void {
  const providers = records.filter((r) => r.manifest?.provides?.includes('domain-store'))
  const live = providers.filter((r) => r.enabled)
  if (!live.length) {
    f.add(
      'ok',
      'store',
      providers.length ? `the embedded store (${providers.map((r) => r.id).join(', ')}) is installed but not enabled` : 'no embedded store is installed',
    )
    return
  }
  for (const r of live) {
    if (r.status === 'started') f.add('ok', 'store', `the embedded store (${r.id}) is running`)
    else if (r.status === 'failed' || r.status === 'incompatible')
      f.add('error', 'store', `the embedded store (${r.id}) is ${r.status}: ${r.diagnostic ?? r.lastError ?? 'no diagnostic'}`)
    else f.add('warn', 'store', `the embedded store (${r.id}) is ${r.status}`)
  }
}

async function componentChecks(f: Findings, status: GatewayStatusService): Promise<void> {
  const { snapshot } = await status.health()
  f.add('ok', 'daemon', `gateway pid ${snapshot.pid}, up ${snapshot.uptime_seconds} s`)
  for (const [name, c] of Object.entries(snapshot.components)) {
    if (name.startsWith('plugin:')) continue // reported under plugins, with the diagnostic
    if (c.status === 'error') f.add('error', 'daemon', `${name}: ${c.last_error ?? 'error'}`)
    else if (c.status === 'starting') f.add('warn', 'daemon', `${name} is still starting`)
    else f.add('ok', 'daemon', `${name} ok`)
  }
}

function pluginChecks(f: Findings, records: PluginRecord[]): void {
  const enabled = records.filter((r) => r.enabled)
  const started = enabled.filter((r) => r.status === 'started').length
  f.add('ok', 'plugins', `${started} of ${enabled.length} enabled plugins started (${records.length} discovered)`)
  for (const r of records) {
    if (r.status === 'failed') f.add('error', 'plugins', `${r.id} failed: ${r.diagnostic ?? r.lastError ?? 'no diagnostic'}`)
    else if (r.status === 'incompatible') f.add(r.enabled ? 'error' : 'warn', 'plugins', `${r.id} is incompatible: ${r.diagnostic ?? ''}`)
    else if (r.enabled && r.status !== 'started' && r.status !== 'stopped') f.add('warn', 'plugins', `${r.id} is ${r.status}`)
    else if (r.status === 'started' && r.lastError) f.add('warn', 'plugins', `${r.id} runs but reported: ${r.lastError}`)
  }
}

export function describePlugin(r: PluginRecord): PluginDescription {
  const m = r.manifest
  return {
    ...r.info(),
    name: m?.name ?? null,
    description: m?.description ?? null,
    requires: [...(m?.requires ?? [])],
    provides: [...(m?.provides ?? [])],
    modes: [...(m?.modes ?? ['gateway', 'daemon'])],
    integration: m?.integration ? { ...m.integration } : null,
    timings: { ...r.timings },
  }
}

export function createOpsService(deps: OpsDeps): OpsService {
  const probe = new CliToolProbe(deps.env)
  return {
    async doctor() {
      const f = await offlineChecks(deps.paths, deps.env, () => probe.list())
      const records = deps.records()
      storeChecks(f, records)
      await componentChecks(f, deps.status)
      pluginChecks(f, records)
      return report(f.list)
    },
    cliTools: () => probe.list(),
    plugins: () => deps.records().map(describePlugin),
  }
}
