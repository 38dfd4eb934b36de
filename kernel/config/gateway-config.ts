/**
 * config.toml: the operator's gateway settings, with the reference's keys and env overrides.
 * Parsed once at start; `PUT /api/config` replaces it atomically through GatewayConfigStore.
 */
import { existsSync, readFileSync } from 'node:fs'
import { parse, TomlError } from 'smol-toml'
import { RevkaError } from '@revka/plugin-sdk'
import { writeFileAtomicSync } from './fs-atomic.js'

export type TomlDoc = Record<string, unknown>

export interface GatewaySettings {
  host: string
  port: number
  requirePairing: boolean
  allowPublicBind: boolean
  pairRateLimitPerMinute: number
  webhookRateLimitPerMinute: number
  trustForwardedHeaders: boolean
  pathPrefix: string
  rateLimitMaxKeys: number
  allowedOrigins: string[]
  pairingCodeTtlSecs: number
  /** global request timeout, ms */
  timeoutMs: number
  /** `[gateway.tls]` when enabled: the gateway serves HTTPS (and WSS) only */
  tls?: TlsSettings
  /**
   * `[gateway] admin_socket`: a unix socket serving only the loopback (admin) routes, where every
   * request is local (kernel/http/admin-socket.ts). As written; relative to config.toml's folder.
   */
  adminSocket?: string
  /** `[gateway] admin_only_on_socket`: no TCP request is local; loopback routes answer only on the socket */
  adminOnlyOnSocket: boolean
  /** `[gateway] log_max_bytes`: logs/gateway.log is rotated when it would grow past this */
  logMaxBytes: number
  /** `[gateway] log_keep`: rotated files kept (gateway.log.1 … gateway.log.N) */
  logKeep: number
  /**
   * `[gateway] web_root`: a dashboard build the dashboard plugin serves instead of the built-in
   * console (`REVKA_WEB_ROOT` overrides it). As written; relative to config.toml's folder.
   */
  webRoot?: string
}

export interface TlsSettings {
  certPath: string
  keyPath: string
  /** `[gateway.tls.client_auth]` when enabled: mutual TLS */
  clientAuth?: {
    caPath?: string
    requireClientCert: boolean
    /** SHA-256 fingerprints of allowed client certificates (DER), lower-case hex without `:` */
    pinnedCerts: string[]
  }
}

function str(v: unknown, key: string): string | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'string' || !v.trim()) throw new ConfigError(`${key} must be a non-empty string`)
  return v
}

/** `[gateway.tls]`: off unless `enabled = true`; then both PEM paths are required. */
function tlsFrom(g: Record<string, unknown>): TlsSettings | undefined {
  if (g.tls === undefined) return undefined
  if (typeof g.tls !== 'object' || g.tls === null || Array.isArray(g.tls)) throw new ConfigError('[gateway.tls] must be a table')
  const t = g.tls as Record<string, unknown>
  if (!bool(t.enabled, 'gateway.tls.enabled', false)) return undefined
  const certPath = str(t.cert_path, 'gateway.tls.cert_path')
  const keyPath = str(t.key_path, 'gateway.tls.key_path')
  if (!certPath || !keyPath) throw new ConfigError('gateway.tls.enabled needs gateway.tls.cert_path and gateway.tls.key_path (PEM files)')
  const c = (t.client_auth ?? {}) as Record<string, unknown>
  if (typeof c !== 'object' || Array.isArray(c)) throw new ConfigError('[gateway.tls.client_auth] must be a table')
  if (!bool(c.enabled, 'gateway.tls.client_auth.enabled', false)) return { certPath, keyPath }
  const pins = c.pinned_certs ?? []
  if (!Array.isArray(pins)) throw new ConfigError('gateway.tls.client_auth.pinned_certs must be a list of SHA-256 fingerprints')
  const pinnedCerts = pins.map((p) => {
    const hex = typeof p === 'string' ? p.replace(/:/g, '').toLowerCase() : ''
    if (!/^[0-9a-f]{64}$/.test(hex))
      throw new ConfigError(`gateway.tls.client_auth.pinned_certs: "${String(p)}" is not a SHA-256 fingerprint (64 hex digits, ":" allowed)`)
    return hex
  })
  const caPath = str(c.ca_cert_path, 'gateway.tls.client_auth.ca_cert_path')
  if (!caPath && !pinnedCerts.length) throw new ConfigError('gateway.tls.client_auth.enabled needs ca_cert_path or pinned_certs')
  return {
    certPath,
    keyPath,
    clientAuth: { caPath, requireClientCert: bool(c.require_client_cert, 'gateway.tls.client_auth.require_client_cert', true), pinnedCerts },
  }
}

export const DEFAULT_CONFIG_TOML = `# Revka gateway configuration. Keys follow the reference gateway; env vars override them.
[gateway]
host = "127.0.0.1"        # REVKA_GATEWAY_HOST
port = 42617              # REVKA_GATEWAY_PORT; 0 picks a free port
require_pairing = true    # REVKA_REQUIRE_PAIRING
trust_forwarded_headers = false
allowed_origins = []
# admin_socket = "run/admin.sock"   # admin routes on a unix socket (README: Behind a reverse proxy)
# admin_only_on_socket = false      # true: loopback routes refuse on TCP
# log_max_bytes = 10485760          # logs/gateway.log rotates past this size
# log_keep = 5                      # rotated files kept
# web_root = "/path/to/dashboard/dist"   # REVKA_WEB_ROOT; a dashboard build served instead of the built-in console

[gateway.pairing]
code_ttl_secs = 3600

[observability]
backend = "none"          # "prometheus" serves /metrics
`

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message)
  }
}

/** Parse TOML; a syntax error names its line. */
export function parseToml(text: string): TomlDoc {
  try {
    return parse(text) as TomlDoc
  } catch (e) {
    if (e instanceof TomlError) {
      const first = String(e.message).split('\n')[0]
      throw new ConfigError(`Invalid TOML at line ${e.line}, column ${e.column}: ${first}`, e.line)
    }
    throw new ConfigError(`Invalid TOML: ${(e as Error).message}`)
  }
}

function table(doc: TomlDoc, key: string): Record<string, unknown> {
  const v = doc[key]
  if (v === undefined) return {}
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(`[${key}] must be a table`)
  return v as Record<string, unknown>
}

function bool(v: unknown, key: string, dflt: boolean): boolean {
  if (v === undefined) return dflt
  if (typeof v !== 'boolean') throw new ConfigError(`${key} must be true or false`)
  return v
}

function int(v: unknown, key: string, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(`${key} must be an integer from ${min} to ${max}`)
  return v
}

function envBool(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined
  return v === '1' || v.toLowerCase() === 'true' || v.toLowerCase() === 'yes'
}

/** Settings from a parsed document plus env overrides. Throws ConfigError naming the key. */
export function settingsFrom(doc: TomlDoc, env: NodeJS.ProcessEnv = process.env): GatewaySettings {
  const g = table(doc, 'gateway')
  const pairing = (g.pairing ?? {}) as Record<string, unknown>
  const prefix = g.path_prefix === undefined ? '' : String(g.path_prefix)
  if (prefix && (!prefix.startsWith('/') || prefix.endsWith('/'))) throw new ConfigError('gateway.path_prefix must start with "/" and must not end with "/"')
  const origins = g.allowed_origins ?? []
  if (!Array.isArray(origins) || origins.some((o) => typeof o !== 'string')) throw new ConfigError('gateway.allowed_origins must be a list of strings')
  const host = env.REVKA_GATEWAY_HOST || env.HOST || (g.host === undefined ? '127.0.0.1' : String(g.host))
  const envPort = env.REVKA_GATEWAY_PORT ?? env.PORT
  let port = int(g.port, 'gateway.port', 42617, 0, 65535)
  if (envPort !== undefined && envPort !== '') {
    port = Number(envPort)
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`REVKA_GATEWAY_PORT must be 0..65535, got "${envPort}"`)
  }
  const timeoutSecs = env.REVKA_GATEWAY_TIMEOUT_SECS ? Number(env.REVKA_GATEWAY_TIMEOUT_SECS) : 30
  if (!Number.isFinite(timeoutSecs) || timeoutSecs <= 0 || timeoutSecs > 3600)
    throw new ConfigError('REVKA_GATEWAY_TIMEOUT_SECS must be a number of seconds from 1 to 3600')
  const maxKeys = int(g.rate_limit_max_keys, 'gateway.rate_limit_max_keys', 10000, 0, 1_000_000)
  const adminSocket = str(g.admin_socket, 'gateway.admin_socket')
  const adminOnlyOnSocket = bool(g.admin_only_on_socket, 'gateway.admin_only_on_socket', false)
  if (adminOnlyOnSocket && !adminSocket)
    throw new ConfigError('gateway.admin_only_on_socket = true needs gateway.admin_socket (the path of the admin unix socket)')
  return {
    host,
    port,
    requirePairing: envBool(env.REVKA_REQUIRE_PAIRING) ?? bool(g.require_pairing, 'gateway.require_pairing', true),
    allowPublicBind: envBool(env.REVKA_ALLOW_PUBLIC_BIND) ?? bool(g.allow_public_bind, 'gateway.allow_public_bind', false),
    pairRateLimitPerMinute: int(g.pair_rate_limit_per_minute, 'gateway.pair_rate_limit_per_minute', 10, 0, 100000),
    webhookRateLimitPerMinute: int(g.webhook_rate_limit_per_minute, 'gateway.webhook_rate_limit_per_minute', 60, 0, 100000),
    trustForwardedHeaders: bool(g.trust_forwarded_headers, 'gateway.trust_forwarded_headers', false),
    pathPrefix: prefix,
    rateLimitMaxKeys: maxKeys === 0 ? 10000 : maxKeys,
    allowedOrigins: origins as string[],
    pairingCodeTtlSecs: int(pairing.code_ttl_secs, 'gateway.pairing.code_ttl_secs', 3600, 1, 30 * 86400),
    timeoutMs: Math.round(timeoutSecs * 1000),
    tls: tlsFrom(g),
    adminSocket,
    adminOnlyOnSocket,
    logMaxBytes: int(g.log_max_bytes, 'gateway.log_max_bytes', 10 * 1024 * 1024, 4096, 1024 * 1024 * 1024),
    logKeep: int(g.log_keep, 'gateway.log_keep', 5, 1, 100),
    webRoot: str(g.web_root, 'gateway.web_root'),
  }
}

/** Read config.toml, writing the default template on first start. */
export function loadConfigFile(path: string): { text: string; doc: TomlDoc } {
  if (!existsSync(path)) writeFileAtomicSync(path, DEFAULT_CONFIG_TOML, 0o600)
  const text = readFileSync(path, 'utf8')
  try {
    return { text, doc: parseToml(text) }
  } catch (e) {
    throw new RevkaError('REVKA_ERR_CONFIG', `${path}: ${(e as Error).message}`)
  }
}
