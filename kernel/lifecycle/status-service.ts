/**
 * The `gateway-status` kernel service: the health snapshot (one component per enabled plugin plus
 * the `health` hook's probes) and the `/api/status` document (kernel fields, then the `status`
 * waterfall so plugins add theirs).
 */
import type { ComponentHealth, GatewayStatusService, HealthSnapshot } from '@revka/plugin-sdk'
import type { Kernel } from './kernel.js'

/**
 * How long a health snapshot is reused. `/health` is what load balancers and dashboards poll; every
 * probe on every poll is wasted work (and probes may be costly), so a snapshot lives up to this
 * long — but a plugin changing state always forces a fresh one.
 */
export const HEALTH_TTL_MS = 1000

type Health = { degraded: boolean; snapshot: HealthSnapshot }

export function createStatusService(k: Kernel): GatewayStatusService {
  let cached: { at: number; generation: string; value: Health } | undefined
  const generation = () => k.records.map((r) => r.updatedAt).join('|')

  async function fresh(): Promise<Health> {
    const now = new Date().toISOString()
    const components: Record<string, ComponentHealth> = {
      gateway: { status: 'ok', updated_at: now, last_ok: now, last_error: null, restart_count: 0 },
    }
    let degraded = false
    for (const r of k.records) {
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
        components[component] = { status: state, updated_at: now, last_ok: state === 'ok' ? now : null, last_error: state === 'error' ? (message ?? 'error') : null, restart_count: 0 }
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

  return {
    async health() {
      const gen = generation()
      const t = Date.now()
      if (cached && cached.generation === gen && t - cached.at < HEALTH_TTL_MS) {
        cached.value.snapshot.uptime_seconds = Math.floor((t - k.startedAt.getTime()) / 1000)
        return cached.value
      }
      const value = await fresh()
      cached = { at: t, generation: gen, value }
      return value
    },
    async document(ctx) {
      const { snapshot } = await this.health()
      const pairing = k.auth.pairing.status()
      const base: Record<string, unknown> = {
        provider: null,
        model: null,
        temperature: null,
        uptime_seconds: snapshot.uptime_seconds,
        gateway_port: k.port,
        locale: 'en',
        memory_backend: 'none',
        paired: pairing.paired,
        require_pairing: pairing.requirePairing,
        channels: {},
        version: k.version,
        plugins: k.pluginInfos().map((p) => ({ id: p.id, version: p.version, status: p.status, diagnostic: p.diagnostic })),
        health: snapshot,
      }
      return k.hooks.status.promise(base, ctx)
    },
  }
}
