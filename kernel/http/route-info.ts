/**
 * The route table as documentation: each mounted route of an enabled plugin, copied out of the
 * kernel's records (the `route-table` kernel service behind GET /api/openapi.json and
 * `revka routes`). Copies, so a reader can change nothing the gatekeeper enforces.
 */
import type { RouteInfo } from '@revka/plugin-sdk'
import type { RouteRecord } from './route-table.js'
import type { PluginRecord } from '../registry/record.js'

/** plugin states whose routes exist for a caller (503 while starting, answered once started) */
const LIVE = new Set(['loaded', 'starting', 'started'])

function copySchema(schema: RouteRecord['decl']['schema']): RouteInfo['schema'] {
  if (!schema) return undefined
  try {
    return structuredClone(schema)
  } catch {
    return undefined // not plain data (a compiled validator): nothing a document can show
  }
}

export function routeInfos(records: readonly RouteRecord[], gatewayTimeoutMs: number, plugins: readonly PluginRecord[]): RouteInfo[] {
  // the first record of an id is the plugin (a later duplicate is never imported)
  const status = new Map<string, string>()
  for (const p of plugins) if (p.manifest && !status.has(p.id)) status.set(p.id, p.status)
  const out: RouteInfo[] = []
  for (const r of records) {
    if (r.disposed || !LIVE.has(status.get(r.pluginId) ?? '')) continue
    const d = r.decl
    out.push({
      plugin: r.pluginId,
      methods: [...r.methods],
      url: r.url,
      auth: r.auth.provider ? 'provider' : [...r.auth.surfaces],
      ...(r.auth.provider && d.secret ? { secret: { ...d.secret } } : {}),
      bodyLimit: r.bodyLimit,
      timeoutMs: r.timeoutMs ?? gatewayTimeoutMs,
      ...(d.rateLimit?.perMinute ? { rateLimitPerMinute: d.rateLimit.perMinute } : {}),
      websocket: d.websocket === true,
      ...(d.subprotocol ? { subprotocol: d.subprotocol } : {}),
      streaming: d.streaming === true,
      queryToken: d.queryToken === true || d.websocket === true,
      anonymous: d.anonymous === true,
      fallback: d.fallback === true,
      ...(d.schema ? { schema: copySchema(d.schema) } : {}),
      ...(d.description ? { description: d.description } : {}),
    })
  }
  return out
}
