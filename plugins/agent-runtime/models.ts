/**
 * `GET /api/models`: what each configured provider offers, read from its own model-list endpoint
 * (`GET {base_url}/models` for OpenAI-compatible servers and Gemini, `GET {base_url}/v1/models`
 * for Anthropic) and cached per provider for CACHE_TTL_MS, so a dashboard's model picker does not
 * hit every provider on every render. A provider that cannot be asked (offline) or that fails says
 * so in its entry; one failing provider never fails the whole list.
 */
import { createHash } from 'node:crypto'
import type { ProviderCheck, ProviderModelList } from '@revka/plugin-sdk'
import { LRUCache } from 'lru-cache'
import { ANTHROPIC_VERSION } from './anthropic.js'
import { ProviderError } from './provider-errors.js'
import { postStream } from './provider-http.js'
import { OFFLINE_MODEL, type ProviderSpec } from './settings.js'

export const CACHE_TTL_MS = 5 * 60_000
/** a models endpoint answers within this, or the entry reports it unreachable */
export const LIST_TIMEOUT_MS = 10_000
/** at most this many models per provider (OpenRouter lists several hundred) */
export const MAX_MODELS = 2000

type ProviderModels = ProviderModelList

export class ModelLister {
  private readonly cache = new LRUCache<string, ProviderModels>({ max: 64, ttl: CACHE_TTL_MS })

  async list(specs: ProviderSpec[], defaultModel: string, defaultProvider: string): Promise<ProviderModels[]> {
    return Promise.all(specs.map((s) => this.one(s, s.model ?? (s.name === defaultProvider ? defaultModel : null))))
  }

  private async one(spec: ProviderSpec, model: string | null): Promise<ProviderModels> {
    const base = { provider: spec.name, type: spec.type, model }
    if (spec.type === 'offline') return { ...base, source: 'builtin', models: [{ id: OFFLINE_MODEL }] }
    await spec.loadKey?.()
    // a digest of the key is part of the cache key, so a replaced key asks again (the key itself is not kept)
    const key = `${spec.name}\n${spec.baseUrl}\n${createHash('sha256')
      .update(spec.apiKey ?? '')
      .digest('hex')}`
    const hit = this.cache.get(key)
    if (hit) return { ...hit, model }
    let entry: ProviderModels
    try {
      entry = { ...base, source: 'endpoint', models: await fetchModels(spec) }
    } catch (e) {
      const err = e instanceof ProviderError ? { code: e.reason, message: e.explained } : { code: 'unreachable', message: (e as Error).message }
      // failures are not cached: the next look is a fresh try (after a fixed key, a started server)
      return { ...base, source: 'endpoint', models: [], error: err }
    }
    this.cache.set(key, entry)
    return entry
  }
}

/**
 * Each route's provider asked afresh (a doctor run must not answer from a 5-minute-old cache): its
 * model list, and the route's model in it. An empty list (some local servers) cannot disprove the
 * model, so it passes with a note.
 */
export async function checkRoutes(routes: Array<{ spec: ProviderSpec; model: string }>): Promise<ProviderCheck[]> {
  return Promise.all(
    routes.map(async ({ spec, model }): Promise<ProviderCheck> => {
      const base = { provider: spec.name, model }
      if (spec.type === 'offline') return { ...base, ok: true, message: 'the embedded offline responder (no network, no key)' }
      let models: Array<{ id: string }>
      try {
        await spec.loadKey?.()
        models = await fetchModels(spec)
      } catch (e) {
        const err = e instanceof ProviderError ? e : new ProviderError('unreachable', (e as Error).message)
        return { ...base, ok: false, reason: err.reason, message: err.explained }
      }
      if (!models.length) return { ...base, ok: true, message: `${spec.baseUrl} answered; it lists no models, so "${model}" is not verified` }
      // Anthropic lists dated ids (claude-sonnet-4-5-20250929) and serves their undated aliases too
      if (!models.some((m) => m.id === model || m.id.startsWith(`${model}-`))) {
        const err = new ProviderError('model_not_found', `provider "${spec.name}" does not list model "${model}" (${models.length} models listed)`)
        return { ...base, ok: false, reason: err.reason, message: err.explained }
      }
      return { ...base, ok: true, message: `${spec.baseUrl} accepted the key and lists "${model}"` }
    }),
  )
}

async function fetchModels(spec: ProviderSpec): Promise<Array<{ id: string; name?: string }>> {
  const anthropic = spec.type === 'anthropic'
  const headers: Record<string, string> = { ...spec.headers, accept: 'application/json' }
  if (anthropic) {
    headers['anthropic-version'] = ANTHROPIC_VERSION
    if (spec.apiKey) headers['x-api-key'] = spec.apiKey
  } else if (spec.apiKey) headers.authorization = `Bearer ${spec.apiKey}`
  const key = spec.apiKey
  const res = await postStream({
    method: 'GET',
    provider: spec.name,
    url: anthropic ? `${spec.baseUrl}/v1/models?limit=1000` : `${spec.baseUrl}/models`,
    baseUrl: spec.baseUrl!,
    headers,
    signal: AbortSignal.timeout(LIST_TIMEOUT_MS),
    scrub: (t) => (key ? t.split(key).join('***') : t),
  })
  let j: any
  try {
    j = await res.json()
  } catch {
    throw new ProviderError('bad_stream', `provider "${spec.name}" answered its model list with something that is not JSON`)
  }
  // OpenAI, Anthropic and most others: {data: [{id}]}; Ollama's older shape: {models: [{name}]}
  const rows: any[] = Array.isArray(j?.data) ? j.data : Array.isArray(j?.models) ? j.models : []
  return rows
    .map((m) => ({ id: String(m?.id ?? m?.name ?? ''), ...(typeof m?.display_name === 'string' ? { name: m.display_name } : {}) }))
    .filter((m) => m.id)
    .slice(0, MAX_MODELS)
}
