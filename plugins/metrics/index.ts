/**
 * metrics — `GET /metrics` in Prometheus text format (contract §6, difference 12). The route is
 * public, so it answers only while `[observability] backend` names `prometheus`; otherwise it is a
 * 404 like any unknown path. The backend is read per scrape, so switching it through
 * `PUT /api/config` takes effect without a restart (the config service reports none is needed).
 */
import { definePlugin, httpError, KernelServices, reply, Stage } from '@revka/plugin-sdk'
import { createMetricSet, type MetricSet } from './metric-set.js'

/** `backend` may be one name, a comma list ("prometheus,otel"), or a TOML array of names. */
export function prometheusEnabled(observability: Readonly<Record<string, unknown>> | undefined): boolean {
  const raw = observability?.backend
  const names = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(',') : []
  return names.some((n) => n.trim().toLowerCase() === 'prometheus')
}

export default definePlugin({
  setup(api) {
    let metrics: MetricSet | undefined
    let creating: Promise<MetricSet> | undefined
    let stopped = false
    const enabled = () => prometheusEnabled(api.gateway.section('observability'))
    const plugins = () => api.services.get(KernelServices.plugins).list()

    const ensure = (): Promise<MetricSet> => {
      creating ??= createMetricSet(plugins).then(
        (m) => {
          if (stopped) m.close()
          else metrics = m
          return m
        },
        (e) => {
          // let the next scrape try again instead of caching the failure
          creating = undefined
          throw e
        },
      )
      return creating
    }

    // the hook is the hot path: until a registry exists this is one property read
    api.hooks.response.tap((info) => metrics?.observe(info), { stage: Stage.OBSERVE })
    // agent, LLM, token and tool metrics come from the bus (counted once a registry exists)
    api.events.subscribe((e) => metrics?.observeEvent(e))

    api.onStart(async () => {
      // a gateway started without Prometheus never loads prom-client unless it is switched on later
      if (enabled()) await ensure()
    })
    api.onStop(() => {
      stopped = true
      metrics?.close()
      metrics = undefined
    })

    api.routes.add({
      method: 'GET',
      url: '/metrics',
      auth: 'public',
      description: 'Prometheus text 0.0.4; 404 unless [observability] backend includes "prometheus"',
      handler: async () => {
        if (!enabled()) {
          throw httpError(404, 'not_found', 'Metrics are off: set backend = "prometheus" under [observability] in config.toml')
        }
        const m = await ensure()
        return reply({ headers: { 'content-type': m.contentType, 'cache-control': 'no-store' }, body: await m.text() })
      },
    })
  },
})
