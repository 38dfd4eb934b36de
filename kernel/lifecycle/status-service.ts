/**
 * The `gateway-status` kernel service: the health snapshot (one component per enabled plugin plus
 * the `health` hook's probes) and the `/api/status` document (kernel fields, then the `status`
 * waterfall so plugins add theirs: the agent runtime adds provider, model and temperature).
 */
import type { ComponentHealth, GatewayStatusService, HealthSnapshot, PairingService, PluginInfo } from '@revka/plugin-sdk'
import { callWaterfall, type HookTable } from '../hooks/table.js'
import { recordsVersion, type PluginRecord } from '../registry/record.js'

/** what the status service reads of the kernel */
export interface StatusDeps {
  records(): PluginRecord[]
  pluginInfos(): PluginInfo[]
  hooks: Pick<HookTable, 'health' | 'status'>
  startedAt: Date
  /** the bound port (0 before listen) */
  port(): number
  version: string
  pairing: Pick<PairingService, 'status'>
}

/**
 * How long a health snapshot is reused. `/health` is what load balancers and dashboards poll; every
 * probe on every poll is wasted work (and probes may be costly), so a snapshot lives up to this
 * long — but a plugin changing state always forces a fresh one.
 */
export const HEALTH_TTL_MS = 1000

type Health = { degraded: boolean; snapshot: HealthSnapshot }
type PluginLine = { id: string; version: string; status: string; diagnostic?: string }

/**
 * One snapshot and what is derived from it. The plugin list and the health snapshot are the
 * parts of `/api/status` that grow with the number of plugins; serialising them once per
 * snapshot (and the health part once per uptime second) keeps a status request's cost flat.
 */
interface Snapshot {
  at: number
  version: number
  value: Health
  plugins: PluginLine[]
  pluginsJson: string
  healthJson?: { uptime: number; json: string }
}

export function createStatusService(k: StatusDeps): GatewayStatusService {
  let cached: Snapshot | undefined

  async function fresh(): Promise<Health> {
    const now = new Date().toISOString()
    const components: Record<string, ComponentHealth> = {
      gateway: { status: 'ok', updated_at: now, last_ok: now, last_error: null, restart_count: 0 },
    }
    let degraded = false
    for (const r of k.records()) {
      if (!r.enabled || r.status === 'disabled') continue
      const state = r.status === 'started' ? 'ok' : r.status === 'failed' || r.status === 'incompatible' ? 'error' : 'starting'
      if (state === 'error') degraded = true
      components[`plugin:${r.id}`] = {
        status: state,
        updated_at: r.updatedAt,
        last_ok: r.lastOk,
        last_error: state === 'error' ? (r.diagnostic ?? r.lastError) : r.lastError,
        restart_count: r.restartCount,
      }
    }
    await k.hooks.health.promise({
      report(component, state, message) {
        if (state === 'error') degraded = true
        components[component] = {
          status: state,
          updated_at: now,
          last_ok: state === 'ok' ? now : null,
          last_error: state === 'error' ? (message ?? 'error') : null,
          restart_count: 0,
        }
      },
    })
    const snapshot: HealthSnapshot = {
      pid: process.pid,
      updated_at: now,
      uptime_seconds: Math.floor((Date.now() - k.startedAt.getTime()) / 1000),
      components,
    }
    return { degraded, snapshot }
  }

  async function current(): Promise<Snapshot> {
    const version = recordsVersion()
    const t = Date.now()
    if (cached && cached.version === version && t - cached.at < HEALTH_TTL_MS) {
      cached.value.snapshot.uptime_seconds = Math.floor((t - k.startedAt.getTime()) / 1000)
      return cached
    }
    const value = await fresh()
    const plugins = k.pluginInfos().map((p) => ({ id: p.id, version: p.version, status: p.status, diagnostic: p.diagnostic }))
    cached = { at: t, version, value, plugins, pluginsJson: JSON.stringify(plugins) }
    return cached
  }

  function healthJson(s: Snapshot): string {
    const uptime = s.value.snapshot.uptime_seconds
    if (s.healthJson?.uptime !== uptime) s.healthJson = { uptime, json: JSON.stringify(s.value.snapshot) }
    return s.healthJson.json
  }

  async function build(ctx: { authenticated: boolean }): Promise<{ doc: Record<string, unknown>; snap: Snapshot }> {
    const snap = await current()
    const pairing = k.pairing.status()
    const base: Record<string, unknown> = {
      uptime_seconds: snap.value.snapshot.uptime_seconds,
      gateway_port: k.port(),
      locale: 'en',
      memory_backend: 'none',
      paired: pairing.paired,
      require_pairing: pairing.requirePairing,
      channels: {},
      version: k.version,
      plugins: snap.plugins,
      health: snap.value.snapshot,
    }
    return { doc: await callWaterfall(k.hooks.status, base, ctx), snap }
  }

  return {
    async health() {
      return (await current()).value
    },
    async document(ctx) {
      return (await build(ctx)).doc
    },
    async documentJson(ctx) {
      const { doc, snap } = await build(ctx)
      // taps pass `plugins` and `health` through untouched (they spread the document): splice in
      // the serialised copies; a tap that replaced either gets the whole document serialised
      if (doc.plugins !== snap.plugins || doc.health !== snap.value.snapshot) return JSON.stringify(doc)
      // JSON.stringify leaves out undefined members: blank the two for the call, no copy needed
      doc.plugins = undefined
      doc.health = undefined
      const head = JSON.stringify(doc)
      doc.plugins = snap.plugins
      doc.health = snap.value.snapshot
      return `${head.length > 2 ? head.slice(0, -1) + ',' : '{'}"plugins":${snap.pluginsJson},"health":${healthJson(snap)}}`
    },
  }
}
