/**
 * The built-in plugins as they are on disk right now (read at run time, so a plugin added tomorrow
 * is fuzzed and crashed tomorrow), and the options the reliability tests give them: secrets so
 * provider routes verify instead of answering 503, and provider API endpoints pointed at a closed
 * local port so no test ever reaches the network. Options are passed only to plugins that exist and
 * only for keys their configSchema declares, so a schema change never breaks the boot.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const PLUGINS_DIR = join(ROOT, 'plugins')

export interface BuiltinManifest {
  id: string
  dir: string
  properties: Set<string>
}

export function builtinManifests(): BuiltinManifest[] {
  return readdirSync(PLUGINS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(PLUGINS_DIR, d.name, 'revka.plugin.json')))
    .flatMap((d) => {
      const dir = join(PLUGINS_DIR, d.name)
      try {
        const m = JSON.parse(readFileSync(join(dir, 'revka.plugin.json'), 'utf8'))
        return [{ id: String(m.id), dir, properties: new Set(Object.keys(m.configSchema?.properties ?? {})) }]
      } catch {
        // a broken manifest is the kernel's to report; discovery still lists the folder
        return [{ id: d.name, dir, properties: new Set<string>() }]
      }
    })
    .sort((a, b) => a.id.localeCompare(b.id))
}

/** a port nothing listens on: provider replies fail fast with ECONNREFUSED instead of leaving the host */
export const DEAD_ENDPOINT = 'http://127.0.0.1:9'

/** the secrets the fuzzer signs with */
export const SECRETS = {
  whatsappApp: 'fuzz-whatsapp-app-secret',
  whatsappVerify: 'fuzz-whatsapp-verify',
  linq: 'fuzz-linq-signing-secret',
  nextcloud: 'fuzz-nextcloud-secret',
  wati: 'fuzz-wati-secret',
  watiVerify: 'fuzz-wati-verify',
  gmail: 'fuzz-gmail-push-secret',
  track: 'fuzz-track-secret',
} as const

const WANTED: Record<string, Record<string, unknown>> = {
  whatsapp: { app_secret: SECRETS.whatsappApp, verify_token: SECRETS.whatsappVerify, access_token: 'x', api_base_url: DEAD_ENDPOINT },
  linq: { signing_secret: SECRETS.linq, api_token: 'x', api_base_url: DEAD_ENDPOINT },
  'nextcloud-talk': { webhook_secret: SECRETS.nextcloud, api_base_url: DEAD_ENDPOINT },
  wati: { webhook_secret: SECRETS.wati, verify_token: SECRETS.watiVerify, api_token: 'x', api_base_url: DEAD_ENDPOINT },
  'gmail-push': { webhook_secret: SECRETS.gmail },
  track: { secret: SECRETS.track },
}

/** Options for every built-in, filtered to what exists; `mcpHome` keeps mcp.json out of $HOME. */
export function reliabilityOptions(manifests: BuiltinManifest[], mcpHome: string): Record<string, Record<string, unknown>> {
  const wanted: Record<string, Record<string, unknown>> = { ...WANTED, mcp: { home_dir: mcpHome } }
  const out: Record<string, Record<string, unknown>> = {}
  for (const m of manifests) {
    const w = wanted[m.id]
    if (!w) continue
    const kept = Object.fromEntries(Object.entries(w).filter(([k]) => m.properties.has(k)))
    if (Object.keys(kept).length) out[m.id] = kept
  }
  return out
}

/**
 * config.toml for the reliability runs: no per-minute caps on /pair and /webhook (the fuzzer and
 * the crash bursts must reach the handlers, not the limiter), /metrics on, and the offline model
 * streaming without pauses.
 */
export function reliabilityConfig(extra = ''): string {
  return `[gateway]
pair_rate_limit_per_minute = 0
webhook_rate_limit_per_minute = 0

[observability]
backend = "prometheus"

[providers.offline]
type = "offline"
chunk_delay_ms = 0
${extra}`
}
