/**
 * Three real gateway processes in cluster mode against the engines scripts/cluster-engines.sh
 * started (REVKA_CLUSTER_PG_URL, REVKA_CLUSTER_REDIS_URL): each its own state dir and port, all
 * sharing PostgreSQL and Redis. `npm run test:cluster` starts and stops the engines around it.
 */
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { spawnGateway, writePluginsFile, type GatewayChild } from '../reliability/support/gateway-child.js'
import { ROOT } from '../reliability/support/builtins.js'

export const ADMIN = 'cluster-suite-admin-token'

export function engines(): { pg: string; redis: string; dir: string } {
  const pg = process.env.REVKA_CLUSTER_PG_URL
  const redis = process.env.REVKA_CLUSTER_REDIS_URL
  const dir = process.env.REVKA_CLUSTER_ENGINES_DIR
  if (!pg || !redis || !dir)
    throw new Error('the cluster suite needs the engines: run it as `npm run test:cluster` (scripts/cluster-engines.sh starts PostgreSQL and Redis)')
  return { pg, redis, dir }
}

export async function startNode(
  nodeId: string,
  o: {
    command?: 'gateway' | 'daemon'
    plugins?: Record<string, Record<string, unknown>>
    /** plugin folders outside plugins/ (examples) */
    paths?: string[]
    stateDir?: string
    /** more `[cluster]` lines */
    cluster?: string
  } = {},
): Promise<GatewayChild> {
  const { pg, redis } = engines()
  const stateDir = o.stateDir ?? mkdtempSync(join(tmpdir(), `revka-cluster-${nodeId}-`))
  chmodSync(stateDir, 0o700)
  // behind a load balancer the client is told apart by X-Forwarded-For, as an operator would set it
  const config = `[gateway]\ntrust_forwarded_headers = true\n\n[cluster]\npostgres_url = "${pg}"\nredis_url = "${redis}"\nnode_id = "${nodeId}"\n${o.cluster ?? ''}`
  writeFileSync(join(stateDir, 'config.toml'), config, { mode: 0o600 })
  const pluginsFile = writePluginsFile(join(stateDir, 'plugins.json'), o.plugins ?? {}, o.paths)
  return spawnGateway({ stateDir, pluginsFile, adminToken: ADMIN, startTimeoutMs: 60_000, command: o.command })
}

/** take Redis away (or bring it back on the same port) */
export function redis(action: 'stop' | 'start'): void {
  engineCtl(`redis-${action}`)
}

/** take PostgreSQL away (a fast shutdown, its data kept) or bring it back on the same port */
export function pg(action: 'stop' | 'start'): void {
  engineCtl(`pg-${action}`)
}

function engineCtl(cmd: string): void {
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'cluster-engines.sh'), cmd, engines().dir], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`)
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}

export async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await fetch(url, init)
  const text = await r.text()
  let body: any = text
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: r.status, body, headers: r.headers }
}

let pairs = 0

/**
 * A pairing code minted on `node` by its operator (loopback `POST /admin/paircode/new`), exchanged
 * on `on` from a client address of its own. Not `/api/pairing/initiate` with the admin token, nor
 * one client address for every pairing: those limits count across the nodes, and the suite's
 * files share one Redis, so they would add up over the whole run.
 */
export async function pairVia(node: GatewayChild, on: GatewayChild, name: string): Promise<{ token: string; deviceId: string; code: string }> {
  const c = await json(`${node.url}/admin/paircode/new`, { method: 'POST' })
  if (c.status !== 200) throw new Error(`paircode/new: ${c.status} ${JSON.stringify(c.body)}`)
  const n = pairs++
  const p = await json(`${on.url}/api/pair`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.77.${(n >> 8) & 255}.${n & 255}` },
    body: JSON.stringify({ code: c.body.pairing_code, device_name: name }),
  })
  if (p.status !== 200) throw new Error(`pair: ${p.status} ${JSON.stringify(p.body)}`)
  return { token: p.body.token, deviceId: p.body.device_id, code: c.body.pairing_code }
}

/** poll until `fn` holds (engine recovery has no event a test could wait on) */
export async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await fn().catch(() => false)) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out waiting for: ${what}`)
}
