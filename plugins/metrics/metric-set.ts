/**
 * The metrics this gateway exposes, in a registry of their own: the process-wide default registry
 * would mix in anything else loaded into the process and survive this plugin being disabled.
 * prom-client is imported here, lazily, because it costs ~70 ms and ~11 MB that a gateway without
 * a Prometheus backend should never pay.
 */
import type { Counter, Histogram, Registry } from 'prom-client'
import type { AnyEvent, PluginStatus, ResponseInfo } from '@revka/plugin-sdk'
import { createAgentMetrics } from './agent-metrics.js'

/** Every status a plugin can have, so a status that drops to zero reads 0 instead of vanishing. */
const PLUGIN_STATUSES: PluginStatus[] = ['discovered', 'disabled', 'incompatible', 'failed', 'loaded', 'starting', 'started', 'stopped']

/** Request latencies are mostly milliseconds; the tail up to the 30 s default timeout matters too. */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

export interface MetricSet {
  readonly registry: Registry
  readonly contentType: string
  /** the `response` hook's observer: cheap, synchronous, never throws on odd input */
  observe(info: ResponseInfo): void
  /** an event-bus event: the agent, LLM, token and tool metrics */
  observeEvent(e: AnyEvent): void
  text(): Promise<string>
  close(): void
}

export async function createMetricSet(pluginStatuses: () => Array<{ status: PluginStatus }>): Promise<MetricSet> {
  const prom = await import('prom-client')
  const registry = new prom.Registry()
  prom.collectDefaultMetrics({ register: registry })

  // labelled by route pattern (never the raw URL) so a scanner cannot grow the series without bound
  const requests: Counter<'method' | 'route' | 'status'> = new prom.Counter({
    name: 'revka_http_requests_total',
    help: 'HTTP responses sent, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  })
  const latency: Histogram<'method' | 'route'> = new prom.Histogram({
    name: 'revka_request_latency_seconds',
    help: 'Time from request arrival to response end, by method and route pattern',
    labelNames: ['method', 'route'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  })
  new prom.Gauge({
    name: 'revka_plugins',
    help: 'Plugins known to the gateway, by status',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      const counts = new Map<string, number>(PLUGIN_STATUSES.map((s) => [s, 0]))
      for (const p of pluginStatuses()) counts.set(p.status, (counts.get(p.status) ?? 0) + 1)
      for (const [status, n] of counts) this.set({ status }, n)
    },
  })

  const agent = createAgentMetrics(prom, registry)

  return {
    registry,
    contentType: registry.contentType,
    observe(info) {
      const method = info.method
      const route = info.route
      requests.inc({ method, route, status: String(info.status) })
      latency.observe({ method, route }, Math.max(0, info.durationMs) / 1000)
    },
    observeEvent: (e) => agent.observe(e),
    text: () => registry.metrics(),
    close: () => registry.clear(),
  }
}
