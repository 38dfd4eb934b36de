/**
 * Which config.toml keys a `PUT /api/config` changed, which of those are security-bearing (only
 * loopback or the service token may change them), and which take effect only on restart.
 * Keys are compared leaf by leaf, after masked values were restored, so a document read with GET
 * and sent back — masks and all — changes nothing.
 */
import type { TomlDoc } from './gateway-config.js'
import { isSecretKey } from './mask.js'

type Path = string[]

/**
 * Security-bearing keys (`*` is any one name). A whole table covers everything under it. These
 * decide who may reach the gateway and how (`[gateway]`, TLS, pairing, origins, rate limits), who
 * may attach a node (`[nodes]`), where prompts and which credentials go (a provider's `base_url`,
 * `api_key_env`, `headers`, and which stored credential a provider uses: `api_key_profile`),
 * where telemetry goes or whether `/metrics` is public (`[observability]`), and where skills are
 * installed from (`[clawhub]`: a marketplace URL and its token decide what code-like text reaches
 * agents), and `[security]` (`[security.webauthn]`: whether a passkey may mint a device token, and
 * for which origin). Besides these, every secret (a key named like one, as masking decides: a
 * provider's `api_key`, a `*_token`, a `password`…): a secret set by a device would otherwise
 * become live at the next restart, credential of the attacker's choosing included.
 */
const PROTECTED: Path[] = [
  ['gateway'],
  ['nodes'],
  ['observability'],
  ['providers', '*', 'base_url'],
  ['providers', '*', 'api_key_env'],
  ['providers', '*', 'headers'],
  ['providers', '*', 'api_key_profile'],
  ['clawhub'],
  ['security'],
]

/**
 * Top-level sections plugins read per request, so a change applies at once. Every other section
 * is served to plugins as it was at start (`GatewayConfigStore.section`): a change to it — a node
 * token or a provider key above all — takes effect on restart and the PUT answer says so.
 */
export const LIVE_SECTIONS: ReadonlySet<string> = new Set(['observability', 'cost'])

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)
}

/** Leaf values by path (arrays and dates are leaves), in document order. */
function leaves(v: unknown, path: Path, out: Map<string, { path: Path; value: string }>): void {
  if (isTable(v)) {
    const keys = Object.keys(v)
    // an empty table is a value of its own: removing it is a change
    if (!keys.length && path.length) out.set(keyOf(path), { path, value: '{}' })
    for (const k of keys) leaves(v[k], [...path, k], out)
  } else out.set(keyOf(path), { path, value: JSON.stringify(v) })
}

/** A dotted key as TOML writes it: names that are not bare keys are quoted. */
export function keyOf(path: Path): string {
  return path.map((p) => (/^[A-Za-z0-9_-]+$/.test(p) ? p : JSON.stringify(p))).join('.')
}

export interface KeyChange {
  path: Path
  key: string
}

/** Keys added, removed or changed between two documents: those of `next` first, in its order. */
export function changedKeys(current: TomlDoc, next: TomlDoc): KeyChange[] {
  const a = new Map<string, { path: Path; value: string }>()
  const b = new Map<string, { path: Path; value: string }>()
  leaves(current, [], a)
  leaves(next, [], b)
  const out: KeyChange[] = []
  for (const [key, leaf] of b) if (a.get(key)?.value !== leaf.value) out.push({ path: leaf.path, key })
  for (const [key, leaf] of a) if (!b.has(key)) out.push({ path: leaf.path, key })
  return out
}

function under(path: Path, pattern: Path): boolean {
  // a change above a protected table (say `providers = "x"`) removes what is under it
  const n = Math.min(path.length, pattern.length)
  for (let i = 0; i < n; i++) if (pattern[i] !== '*' && pattern[i] !== path[i]) return false
  return true
}

export function isProtected(path: Path): boolean {
  return PROTECTED.some((p) => under(path, p)) || path.some(isSecretKey)
}

export function needsRestart(path: Path): boolean {
  return !LIVE_SECTIONS.has(path[0])
}
