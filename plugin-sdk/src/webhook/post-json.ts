/**
 * postJson: how a webhook provider's `send` calls its provider API. A non-2xx answer throws, so the
 * delivery worker retries with backoff; the error names the host and status but never the URL's
 * path or query, because some providers put the bot token there (Telegram's `/bot<token>/`).
 */

export interface PostJsonOptions {
  headers?: Record<string, string>
  /** pass the `SendContext.signal`: it ends at shutdown and after the send timeout */
  signal?: AbortSignal
  /** default POST */
  method?: string
}

/** Thrown by `postJson` for a non-2xx answer; the message names the host and status, never the URL's path. */
export class ProviderApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
    this.name = 'ProviderApiError'
  }
}

/**
 * Send `body` as JSON (no body when `undefined`) and return the parsed JSON answer (or its text).
 * Throws `ProviderApiError` on a non-2xx status.
 */
export async function postJson(url: string, body: unknown, opts: PostJsonOptions = {}): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(url, {
    method: opts.method ?? 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: opts.signal,
  })
  const text = await res.text()
  if (!res.ok) {
    const host = new URL(url).host
    throw new ProviderApiError(res.status, `provider API ${host} answered ${res.status}: ${text.slice(0, 200)}`)
  }
  try {
    return text ? JSON.parse(text) : undefined
  } catch {
    return text
  }
}
