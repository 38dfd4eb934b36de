/**
 * Why a provider call failed, in terms a person can act on. The turn error's `code` stays the
 * contract's (AUTH_ERROR / PROVIDER_ERROR); the reason and a one-line hint travel in its message,
 * e.g. `… answered HTTP 429: slow down [rate_limited] Hint: wait and retry, or set fallback_providers`.
 * The reasons also decide fallback: only an unreachable server, a rate limit or a server failure
 * moves a call on to the next provider — a refused key or an unknown model would fail there too
 * often to be worth hiding.
 */
export type ProviderFailure = 'unreachable' | 'auth' | 'model_not_found' | 'rate_limited' | 'unavailable' | 'bad_request' | 'bad_stream'

const HINTS: Record<ProviderFailure, string> = {
  unreachable: 'check base_url and that the server is running and reachable from the gateway',
  auth: 'the key was refused: check api_key, api_key_env or api_key_profile for this provider',
  model_not_found: 'check the model name (GET /api/models lists what the provider offers) and base_url',
  rate_limited: 'the provider is rate limiting this key: wait and retry, or set fallback_providers',
  unavailable: 'the provider is failing or overloaded: retry later, or set fallback_providers',
  bad_request: 'the provider refused the request as sent: see its message above',
  bad_stream: "the answer was not in the provider's streaming format: check that base_url is the API root",
}

const RETRYABLE = new Set<ProviderFailure>(['unreachable', 'rate_limited', 'unavailable'])

/** A provider failure; `auth` becomes AUTH_ERROR for the client, everything else PROVIDER_ERROR. */
export class ProviderError extends Error {
  constructor(
    readonly reason: ProviderFailure,
    message: string,
    readonly status?: number,
  ) {
    super(message)
    this.name = 'ProviderError'
  }

  get kind(): 'auth' | 'provider' {
    return this.reason === 'auth' ? 'auth' : 'provider'
  }
  /** worth trying the next of fallback_providers (if nothing was streamed yet) */
  get retryable(): boolean {
    return RETRYABLE.has(this.reason)
  }
  get hint(): string {
    return HINTS[this.reason]
  }
  /** the message as a person reads it: what happened, the reason code, what to do */
  get explained(): string {
    return `${this.message} [${this.reason}] Hint: ${this.hint}`
  }
}

export function failureOfStatus(status: number): ProviderFailure {
  if (status === 401 || status === 403) return 'auth'
  if (status === 404) return 'model_not_found'
  if (status === 429) return 'rate_limited'
  if (status >= 500) return 'unavailable'
  return 'bad_request'
}
