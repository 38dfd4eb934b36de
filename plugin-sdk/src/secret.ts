/**
 * Where a plugin finds a secret (an API token, a signing secret): the environment variable first,
 * then the plugin's own option. The kernel resolves a provider route's declared `secret` this way,
 * and a plugin that needs the same secret elsewhere (to sign a reply, to report "configured")
 * calls the same function, so the two can never disagree.
 */
import type { SecretSource } from './types.js'

/**
 * The configured secret, trimmed, or `undefined` when neither source holds a non-blank string.
 * `src.env` names an environment variable, read through `env` (pass `api.gateway.env` or a
 * `SendContext`'s `env`, never `process.env`, so tests can set it); `src.config` is a key of
 * `options`, dotted for a nested one (`'signing.secret'`).
 *
 * ```ts
 * const token = resolveSecret({ env: 'REVKA_WATI_API_TOKEN', config: 'api_token' }, ctx.options, ctx.env)
 * if (!token) throw new Error('WATI api_token is not configured')
 * ```
 */
export function resolveSecret(src: SecretSource | undefined, options: object | undefined, env: (name: string) => string | undefined): string | undefined {
  if (!src) return undefined
  const fromEnv = src.env ? env(src.env)?.trim() : undefined
  if (fromEnv) return fromEnv
  if (!src.config) return undefined
  let v: unknown = options
  for (const part of src.config.split('.')) v = (v as Record<string, unknown> | undefined)?.[part]
  return typeof v === 'string' && v.trim() ? v.trim() : undefined
}
