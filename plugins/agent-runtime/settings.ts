/**
 * The runtime's settings, read from config.toml's top-level keys (`default_provider`,
 * `default_model`, `default_temperature`, `provider_timeout_secs`, `max_tool_iterations`) and
 * `[providers.<name>]` tables. A mistake is reported with the exact key so the operator can fix it
 * from the `/health` diagnostic alone; with no config at all the embedded offline responder is used,
 * so a fresh install chats without a key or a network.
 *
 * A provider's key comes from one of `api_key`, `api_key_env`, or `api_key_profile =
 * "<provider>:<profile_name>"` — a profile of the auth-profiles plugin, encrypted at rest and read
 * at each request (so a profile created or replaced after the start is used by the next turn).
 */
import { RevkaError, isObject as isTable, type AuthProfilesService } from '@revka/plugin-sdk'
import { ANTHROPIC_BASE_URL, GEMINI_BASE_URL, PRESET_NAMES, PRESETS } from './presets.js'

/** types whose service has one home; openai-compatible needs a base_url or a preset */
const DEFAULT_BASE: Partial<Record<ProviderType, string>> = { anthropic: ANTHROPIC_BASE_URL, gemini: GEMINI_BASE_URL }

export type ProviderType = 'offline' | 'openai-compatible' | 'anthropic' | 'gemini'

export interface ProviderSpec {
  name: string
  type: ProviderType
  /** `preset = "…"` of an openai-compatible provider (presets.ts) */
  preset?: string
  /** remote types: without a trailing slash */
  baseUrl?: string
  apiKey?: string
  /** `api_key_profile`: `apiKey` is then the token `loadKey` last read from the auth-profiles service */
  apiKeyProfile?: string
  /** `api_key_profile`: reads the profile's token into `apiKey`; awaited before each request */
  loadKey?: () => Promise<void>
  model?: string
  /** USD per million tokens */
  inputCostPerMtok: number
  outputCostPerMtok: number
  /** prompt-cache prices; unset means the input price × the pricing module's multipliers */
  cacheWriteCostPerMtok?: number
  cacheReadCostPerMtok?: number
  /** anthropic: `max_tokens`, which the Messages API requires on every call */
  maxTokens: number
  supportsImages: boolean
  headers: Record<string, string>
  /** offline: pause between streamed word groups, so a UI shows streaming as it would with a model */
  chunkDelayMs: number
}

export interface RuntimeSettings {
  provider: ProviderSpec
  model: string
  temperature: number
  providerTimeoutSecs: number
  maxToolIterations: number
  /** provider_timeout_secs × min(max(max_tool_iterations, 1), 4), in ms (contract §3.1) */
  turnTimeoutMs: number
  /** every `[providers.*]` table (and the implicit offline one when it is the default), for GET /api/models */
  configured: ProviderSpec[]
  /** `fallback_providers`, in order, each with the model it is called with */
  fallbacks: Array<{ provider: ProviderSpec; model: string }>
  /** non-fatal remarks for the log (unused provider tables with problems) */
  warnings: string[]
}

export const OFFLINE_MODEL = 'offline-echo'
const TYPES: ProviderType[] = ['openai-compatible', 'anthropic', 'gemini', 'offline']
const TYPE_LIST = '"openai-compatible", "anthropic", "gemini" or "offline"'

const fail = (message: string): never => {
  throw new RevkaError('REVKA_ERR_AGENT_CONFIG', `agent-runtime: ${message} (config.toml)`)
}

function num(v: unknown, key: string, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(`${key} must be a number between ${min} and ${max}, got ${JSON.stringify(v)}`)
  return v as number
}

function str(v: unknown, key: string): string | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'string' || !v.trim()) fail(`${key} must be a non-empty string`)
  return (v as string).trim()
}

/**
 * Parse one `[providers.<name>]` table. `resolveKey` is false for tables that are not in use: their
 * shape is still checked (a typo is a typo), but a missing environment variable only matters for
 * the provider that will actually be called.
 */
function parseProvider(name: string, t: Record<string, unknown>, env: NodeJS.ProcessEnv, resolveKey: boolean, profiles?: AuthProfilesService): ProviderSpec {
  const key = (k: string) => `providers.${name}.${k}`
  // a table named after a type implies it, as `[providers.offline]` and `[providers.openai-compatible]` read
  // a preset implies openai-compatible; a table named after a type implies it
  const rawType = t.type ?? (t.preset !== undefined ? 'openai-compatible' : TYPES.includes(name as ProviderType) ? name : undefined)
  if (rawType === undefined) fail(`${key('type')} is missing; set type to one of ${TYPE_LIST}`)
  if (!TYPES.includes(rawType as ProviderType)) fail(`${key('type')} = ${JSON.stringify(rawType)} is not supported; use ${TYPE_LIST}`)
  const type = rawType as ProviderType
  const spec: ProviderSpec = {
    name,
    type,
    model: str(t.model, key('model')),
    inputCostPerMtok: num(t.input_cost_per_mtok, key('input_cost_per_mtok'), 0, 0, 1e6),
    outputCostPerMtok: num(t.output_cost_per_mtok, key('output_cost_per_mtok'), 0, 0, 1e6),
    cacheWriteCostPerMtok:
      t.cache_write_cost_per_mtok === undefined ? undefined : num(t.cache_write_cost_per_mtok, key('cache_write_cost_per_mtok'), 0, 0, 1e6),
    cacheReadCostPerMtok: t.cache_read_cost_per_mtok === undefined ? undefined : num(t.cache_read_cost_per_mtok, key('cache_read_cost_per_mtok'), 0, 0, 1e6),
    maxTokens: num(t.max_tokens, key('max_tokens'), 4096, 1, 1_000_000),
    supportsImages: false,
    headers: {},
    chunkDelayMs: num(t.chunk_delay_ms, key('chunk_delay_ms'), 15, 0, 5000),
  }
  if (!Number.isInteger(spec.maxTokens)) fail(`${key('max_tokens')} must be a whole number`)
  if (t.supports_images !== undefined) {
    if (typeof t.supports_images !== 'boolean') fail(`${key('supports_images')} must be true or false`)
    spec.supportsImages = t.supports_images as boolean
  }
  if (t.headers !== undefined) {
    if (!isTable(t.headers)) fail(`${key('headers')} must be a table of header names to string values`)
    for (const [h, v] of Object.entries(t.headers as Record<string, unknown>)) {
      if (typeof v !== 'string') fail(`${key(`headers.${h}`)} must be a string`)
      spec.headers[h.toLowerCase()] = v as string
    }
  }
  if (type === 'offline') return spec

  const preset = str(t.preset, key('preset'))
  if (preset && type !== 'openai-compatible') fail(`${key('preset')} applies to type = "openai-compatible" only`)
  if (preset && !PRESETS[preset])
    fail(`${key('preset')} = ${JSON.stringify(preset)} is not known; use one of ${PRESET_NAMES.map((p) => `"${p}"`).join(', ')}, or set base_url`)
  spec.preset = preset
  const base = str(t.base_url, key('base_url')) ?? (preset ? PRESETS[preset].baseUrl : DEFAULT_BASE[type])
  if (!base)
    return fail(
      `${key('base_url')} is missing; an openai-compatible provider needs the API root, e.g. "https://api.openai.com/v1", or a preset (${PRESET_NAMES.join(', ')})`,
    )
  let url: URL
  try {
    url = new URL(base)
  } catch {
    return fail(`${key('base_url')} = ${JSON.stringify(base)} is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`${key('base_url')} must be an http(s) URL`)
  spec.baseUrl = base.replace(/\/+$/, '')

  const literal = t.api_key === undefined ? undefined : str(t.api_key, key('api_key'))
  const envName = str(t.api_key_env, key('api_key_env'))
  const profile = str(t.api_key_profile, key('api_key_profile'))
  if ([literal, envName, profile].filter(Boolean).length > 1) fail(`set only one of ${key('api_key')}, ${key('api_key_env')} and ${key('api_key_profile')}`)
  if (profile) {
    if (!/^[^:\s]+:[^:\s]+$/.test(profile))
      fail(`${key('api_key_profile')} = ${JSON.stringify(profile)} must name a profile as "<provider>:<profile_name>", e.g. "openai:work"`)
    spec.apiKeyProfile = profile
    if (resolveKey && !profiles) fail(`${key('api_key_profile')} = "${profile}" needs the auth-profiles plugin, which is not enabled`)
    // never enumerable: the key is not part of anything that serialises the spec. The service is
    // asynchronous (a cluster keeps profiles in PostgreSQL), so each request loads the key first.
    if (profiles) {
      let key: string | undefined
      Object.defineProperty(spec, 'apiKey', { enumerable: false, get: () => key })
      Object.defineProperty(spec, 'loadKey', { enumerable: false, value: async () => void (key = (await profiles.resolve(profile))?.token) })
    }
  } else if (literal) spec.apiKey = literal
  else if (envName) {
    // a table not in use still gets its key when there is one: GET /api/models lists its models
    const v = env[envName]?.trim()
    if (v) spec.apiKey = v
    else if (resolveKey) fail(`${key('api_key_env')} names the environment variable ${envName}, which is empty or not set`)
  }
  return spec
}

/** At most this many fallbacks: each one a failing call may cost another full timeout. */
export const MAX_FALLBACKS = 4

function fallbacksOf(v: unknown, primary: string, tables: Record<string, unknown>): string[] {
  if (v === undefined) return []
  if (!Array.isArray(v) || v.some((n) => typeof n !== 'string' || !n.trim()))
    fail('fallback_providers must be a list of provider names, e.g. ["groq", "local"]')
  const names = (v as string[]).map((n) => n.trim())
  if (names.length > MAX_FALLBACKS) fail(`fallback_providers lists ${names.length} providers; at most ${MAX_FALLBACKS}`)
  for (const [i, n] of names.entries()) {
    if (n === primary) fail(`fallback_providers names "${n}", which is already default_provider`)
    if (names.indexOf(n) !== i) fail(`fallback_providers names "${n}" twice`)
    if (!(n in tables) && n !== 'offline') fail(`fallback_providers names "${n}" but there is no [providers.${n}] table`)
  }
  return names
}

/** The `api_key_profile` of a provider in use that names no profile yet (asked once started). */
export async function profileWarnings(s: RuntimeSettings, profiles: AuthProfilesService | undefined): Promise<string[]> {
  const out: string[] = []
  for (const spec of [s.provider, ...s.fallbacks.map((f) => f.provider)]) {
    if (!profiles || !spec.apiKeyProfile || (await profiles.resolve(spec.apiKeyProfile))) continue
    out.push(
      `providers.${spec.name}.api_key_profile: there is no auth profile "${spec.apiKeyProfile}" yet; turns fail with an auth error until it is created (POST /api/auth/profiles)`,
    )
  }
  return out
}

/** Read and check everything; throws a REVKA_ERR_AGENT_CONFIG naming the offending key. */
export function loadSettings(section: (name: string) => unknown, env: NodeJS.ProcessEnv, profiles?: AuthProfilesService): RuntimeSettings {
  const warnings: string[] = []
  const providerName = str(section('default_provider'), 'default_provider') ?? 'offline'
  const tables = section('providers')
  if (tables !== undefined && !isTable(tables)) fail('providers must be a table of [providers.<name>] tables')
  const all = (tables ?? {}) as Record<string, unknown>
  const fallbackNames = fallbacksOf(section('fallback_providers'), providerName, all)

  let provider: ProviderSpec | undefined
  const configured: ProviderSpec[] = []
  const fallbackSpecs = new Map<string, ProviderSpec>()
  for (const [name, t] of Object.entries(all)) {
    if (!isTable(t)) fail(`providers.${name} must be a table`)
    const inUse = name === providerName || fallbackNames.includes(name)
    const spec = parseProvider(name, t as Record<string, unknown>, env, inUse, profiles)
    configured.push(spec)
    if (name === providerName) provider = spec
    else if (inUse) fallbackSpecs.set(name, spec)
    // whether the profile exists is asked once started (profileWarnings): the service is asynchronous
    if (spec.apiKeyProfile) continue
    if (spec.type !== 'offline' && typeof (t as any).api_key_env === 'string' && !env[(t as any).api_key_env]?.trim()) {
      warnings.push(`providers.${name}.api_key_env (${(t as any).api_key_env}) is not set; fine while default_provider is not "${name}"`)
    } else if (inUse && spec.preset && !PRESETS[spec.preset].keyless && !spec.apiKey && !spec.apiKeyProfile) {
      warnings.push(`providers.${name} (preset "${spec.preset}") has no key; set api_key_env, api_key or api_key_profile, or turns fail with an auth error`)
    }
  }
  if (!provider) {
    if (providerName !== 'offline') fail(`default_provider = "${providerName}" but there is no [providers.${providerName}] table`)
    provider = parseProvider('offline', { type: 'offline' }, env, true)
    configured.unshift(provider)
  }

  const defaultModel = str(section('default_model'), 'default_model')
  const modelOf = (spec: ProviderSpec): string =>
    spec.model ??
    defaultModel ??
    (spec.type === 'offline' ? OFFLINE_MODEL : fail(`no model for provider "${spec.name}": set default_model or providers.${spec.name}.model`))
  const model = modelOf(provider)
  const fallbacks = fallbackNames.map((name) => {
    const spec = fallbackSpecs.get(name) ?? parseProvider('offline', { type: 'offline' }, env, true)
    return { provider: spec, model: modelOf(spec) }
  })
  const temperature = num(section('default_temperature'), 'default_temperature', 0.7, 0, 2)
  const providerTimeoutSecs = num(section('provider_timeout_secs'), 'provider_timeout_secs', 120, 0.001, 86_400)
  const maxToolIterations = num(section('max_tool_iterations'), 'max_tool_iterations', 10, 0, 1000)
  if (!Number.isInteger(maxToolIterations)) fail('max_tool_iterations must be a whole number')

  return {
    provider,
    model,
    configured,
    fallbacks,
    temperature,
    providerTimeoutSecs,
    maxToolIterations,
    turnTimeoutMs: Math.round(providerTimeoutSecs * 1000 * Math.min(Math.max(maxToolIterations, 1), 4)),
    warnings,
  }
}
