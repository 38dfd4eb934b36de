/**
 * `[cluster]` in config.toml (issue 18): several gateways behind one proxy share their state on
 * PostgreSQL and their bus on Redis. Without the table nothing changes — SQLite, in-process
 * buses, and neither client library is loaded. Both URLs are required together: a half-configured
 * cluster (shared devices but a local bus, or the reverse) would look like it works and silently
 * serve stale tokens, so it refuses the start instead.
 */
import { hostname } from 'node:os'
import { ConfigError, type TomlDoc } from '../config/gateway-config.js'

export interface ClusterSettings {
  postgresUrl: string
  redisUrl: string
  /** this node's name in logs, /health and the bus; unique per node */
  nodeId: string
  /** events kept in the shared stream for `Last-Event-ID` replay (XADD MAXLEN ~) */
  eventReplay: number
  /** how long a node holds a webhook delivery before another may take it (renewed while it works) */
  webhookLeaseMs: number
}

const NODE_ID = /^[A-Za-z0-9._-]{1,64}$/

export function clusterSettingsFrom(doc: TomlDoc, env: NodeJS.ProcessEnv = process.env): ClusterSettings | null {
  const c = doc.cluster
  if (c === undefined) return null
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new ConfigError('[cluster] must be a table')
  const t = c as Record<string, unknown>
  const url = (key: string, schemes: string[]): string => {
    const v = t[key]
    if (typeof v !== 'string' || !v.trim()) throw new ConfigError(`cluster.${key} is required in [cluster] (a ${schemes[0]}:// URL)`)
    let u: URL
    try {
      u = new URL(v)
    } catch {
      throw new ConfigError(`cluster.${key} is not a URL`)
    }
    if (!schemes.includes(u.protocol.slice(0, -1))) throw new ConfigError(`cluster.${key} must start with ${schemes.map((s) => s + '://').join(' or ')}`)
    return v
  }
  const postgresUrl = url('postgres_url', ['postgres', 'postgresql'])
  const redisUrl = url('redis_url', ['redis', 'rediss'])
  const nodeId = env.REVKA_CLUSTER_NODE_ID || (t.node_id === undefined ? `${hostname()}-${process.pid}` : t.node_id)
  if (typeof nodeId !== 'string' || !NODE_ID.test(nodeId)) throw new ConfigError('cluster.node_id must be 1–64 letters, digits, ".", "_" or "-"')
  const max = t.event_replay === undefined ? 1024 : t.event_replay
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 100 || max > 1_000_000)
    throw new ConfigError('cluster.event_replay must be an integer from 100 to 1000000')
  const lease = t.webhook_lease_ms === undefined ? 30_000 : t.webhook_lease_ms
  if (typeof lease !== 'number' || !Number.isInteger(lease) || lease < 1000 || lease > 600_000)
    throw new ConfigError('cluster.webhook_lease_ms must be an integer from 1000 to 600000')
  return { postgresUrl, redisUrl, nodeId, eventReplay: max, webhookLeaseMs: lease }
}
