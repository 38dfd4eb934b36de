/**
 * A turn's cost from the provider's per-million-token prices. Prompt-cache tokens are part of the
 * input count but priced apart: by default at Anthropic's published multipliers of the input price
 * (a cache write 1.25×, a cache read 0.1×), or at `cache_write_cost_per_mtok` /
 * `cache_read_cost_per_mtok` when a provider table sets them.
 */
import type { ProviderSpec } from './settings.js'

export const CACHE_WRITE_MULTIPLIER = 1.25
export const CACHE_READ_MULTIPLIER = 0.1

export function costUsd(
  spec: Pick<ProviderSpec, 'inputCostPerMtok' | 'outputCostPerMtok' | 'cacheWriteCostPerMtok' | 'cacheReadCostPerMtok'>,
  usage: { input_tokens: number; output_tokens: number },
  cached: { write: number; read: number },
): number {
  const fresh = Math.max(0, usage.input_tokens - cached.write - cached.read)
  const write = spec.cacheWriteCostPerMtok ?? spec.inputCostPerMtok * CACHE_WRITE_MULTIPLIER
  const read = spec.cacheReadCostPerMtok ?? spec.inputCostPerMtok * CACHE_READ_MULTIPLIER
  return (fresh * spec.inputCostPerMtok + cached.write * write + cached.read * read + usage.output_tokens * spec.outputCostPerMtok) / 1e6
}
