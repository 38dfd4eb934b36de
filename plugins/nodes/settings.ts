/**
 * `[nodes]` in config.toml (contract §7.1): `max_nodes` (default 16), `auth_token` (a node-only
 * credential for `/ws/nodes`), `invoke_timeout_secs` (default 30, the contract's hard limit; tests
 * set it small). `enabled` only controls the reference's start-up banner and is ignored here: the
 * route is mounted regardless, as in the reference.
 *
 * Quotas the reference does not have: `max_capabilities` (default 512) across all connected nodes
 * — each is an agent tool sent to the model on every turn, and the tool registry lists at most
 * 1,024 tools for every plugin together, so nodes alone may take half — and
 * `max_pending_per_node` (default 64) calls waiting for one node's answers.
 */
import { RevkaError, isObject as isTable } from '@revka/plugin-sdk'

export interface NodesSettings {
  maxNodes: number
  invokeTimeoutSecs: number
  maxCapabilities: number
  maxPendingPerNode: number
}

export const DEFAULT_MAX_NODES = 16
export const DEFAULT_INVOKE_TIMEOUT_SECS = 30
export const DEFAULT_MAX_CAPABILITIES = 512
export const DEFAULT_MAX_PENDING_PER_NODE = 64

const fail = (message: string): never => {
  throw new RevkaError('REVKA_ERR_NODES_CONFIG', `nodes: ${message} (config.toml [nodes])`)
}

/** Read once at setup: a mistake fails the plugin with a diagnostic naming the key. */
export function readSettings(section: unknown): NodesSettings {
  const t = section === undefined ? {} : isTable(section) ? section : fail('[nodes] must be a table')
  const timeout = t.invoke_timeout_secs ?? DEFAULT_INVOKE_TIMEOUT_SECS
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0 || timeout > 600)
    fail(`invoke_timeout_secs must be a number above 0 and at most 600, got ${JSON.stringify(timeout)}`)
  authToken(t)
  return {
    maxNodes: integer(t, 'max_nodes', DEFAULT_MAX_NODES, 10_000),
    invokeTimeoutSecs: timeout as number,
    maxCapabilities: integer(t, 'max_capabilities', DEFAULT_MAX_CAPABILITIES, 1024),
    maxPendingPerNode: integer(t, 'max_pending_per_node', DEFAULT_MAX_PENDING_PER_NODE, 10_000),
  }
}

function integer(t: Record<string, unknown>, key: string, dflt: number, max: number): number {
  const v = t[key] ?? dflt
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) fail(`${key} must be an integer between 1 and ${max}, got ${JSON.stringify(v)}`)
  return v as number
}

/**
 * The node token, read on every upgrade. A PUT /api/config that changes it does not change what
 * this reads until the gateway restarts (the kernel serves `[nodes]` as it was at start, and the
 * PUT answers `restart_required: ["nodes.auth_token"]`), and only loopback or the service token
 * may change it at all: a secret set through config never becomes live under a running gateway.
 * undefined when unset or empty; throws on a non-string value (the kernel then fails closed).
 */
export function authToken(section: unknown): string | undefined {
  if (!isTable(section)) return undefined
  const v = section.auth_token
  if (v === undefined || v === null || v === '') return undefined
  if (typeof v !== 'string') return fail('auth_token must be a string')
  return v
}
