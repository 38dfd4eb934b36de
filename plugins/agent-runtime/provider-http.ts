/**
 * The HTTP part every remote provider shares: POST a streaming request (or GET a model list), and turn the ways it can
 * fail before the first byte (unreachable, non-2xx) into ProviderErrors whose text never contains
 * the key. Error bodies are read only up to a bound: a misbehaving server must not make us buffer
 * megabytes.
 */
import { failureOfStatus, ProviderError } from './provider-errors.js'
import { errorMessageOf } from './openai-wire.js'

const ERROR_BODY_MAX = 16 * 1024

export interface StreamRequest {
  /** POST with `body` (a model call), or GET (a model list) */
  method?: 'POST' | 'GET'
  provider: string
  url: string
  /** where the user pointed us, for the "unreachable" message */
  baseUrl: string
  headers: Record<string, string>
  body?: unknown
  signal: AbortSignal
  scrub: (text: string) => string
}

export async function postStream(r: StreamRequest): Promise<Response> {
  let res: Response
  try {
    res = await fetch(r.url, {
      method: r.method ?? 'POST',
      headers: r.headers,
      body: r.method === 'GET' ? undefined : JSON.stringify(r.body),
      signal: r.signal,
    })
  } catch (e) {
    if (r.signal.aborted && r.signal.reason?.name !== 'TimeoutError') throw e
    const cause = (e as any)?.cause?.code ?? (e as any)?.cause?.message ?? (e as Error).message
    throw new ProviderError('unreachable', `provider "${r.provider}" is unreachable at ${r.baseUrl}: ${r.scrub(String(cause))}`)
  }
  if (!res.ok) {
    const text = r.scrub(errorMessageOf(await readBounded(res)))
    throw new ProviderError(failureOfStatus(res.status), `provider "${r.provider}" answered HTTP ${res.status}: ${text}`, res.status)
  }
  if (!res.body) throw new ProviderError('bad_stream', `provider "${r.provider}" sent an empty response`)
  return res
}

/** A key never appears in what we report, whichever part of a message echoes it. */
export function scrubber(key: () => string | undefined): (text: string) => string {
  return (text) => {
    const k = key()
    return k ? text.split(k).join('***') : text
  }
}

async function readBounded(res: Response): Promise<string> {
  if (!res.body) return ''
  const reader = res.body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  try {
    while (text.length < ERROR_BODY_MAX) {
      const { value, done } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
  } catch {
    // a broken error body still leaves the status to report
  } finally {
    await reader.cancel().catch(() => {})
  }
  return text.slice(0, ERROR_BODY_MAX)
}
