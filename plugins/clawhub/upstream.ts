/**
 * Requests to the marketplace: a bounded number in flight, each with a timeout covering connect to
 * last byte, a cap on the bytes read, no redirects followed, and the configured bearer token. Every
 * failure becomes an httpError that says what happened and what to set, so a route never hangs and
 * never answers 401 (the dashboard drops its own token on a 401).
 */
import { httpError } from '@revka/plugin-sdk'

export interface UpstreamConfig {
  baseUrl: string | undefined
  token: string | undefined
  timeoutMs: number
  maxBytes: number
  maxInflight: number
}

export const NOT_CONFIGURED =
  'No ClawHub marketplace is configured: set api_url in the [clawhub] table of config.toml (e.g. api_url = "https://clawhub.ai") or the clawhub plugin\'s api_url option'

export class Upstream {
  private inflight = 0
  constructor(private readonly cfg: () => UpstreamConfig) {}

  /** GET `path` (with query) from the marketplace; the body as text with the status. */
  async get(path: string): Promise<{ status: number; text: string }> {
    const cfg = this.cfg()
    if (!cfg.baseUrl) throw httpError(503, 'clawhub_not_configured', NOT_CONFIGURED, { retryAfter: 60 })
    if (this.inflight >= cfg.maxInflight)
      throw httpError(503, 'clawhub_busy', `At most ${cfg.maxInflight} ClawHub requests run at once (max_inflight of the clawhub plugin)`, { retryAfter: 1 })
    this.inflight++
    const url = cfg.baseUrl.replace(/\/+$/, '') + path
    const ac = new AbortController()
    const timer = setTimeout(() => ac.abort(), cfg.timeoutMs)
    try {
      const res = await fetch(url, {
        headers: { accept: 'application/json, text/plain;q=0.9, */*;q=0.1', ...(cfg.token ? { authorization: `Bearer ${cfg.token}` } : {}) },
        redirect: 'manual',
        signal: ac.signal,
      })
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel().catch(() => {})
        throw httpError(
          502,
          'clawhub_redirect',
          `ClawHub at ${cfg.baseUrl} answered with a redirect (${res.status}); set api_url to the marketplace's final address`,
        )
      }
      return { status: res.status, text: await readCapped(res, cfg.maxBytes, cfg.baseUrl) }
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode) throw e
      if (ac.signal.aborted)
        throw httpError(
          504,
          'clawhub_timeout',
          `ClawHub at ${cfg.baseUrl} did not answer within ${cfg.timeoutMs / 1000} s (timeout_secs of the clawhub plugin)`,
        )
      const cause = (e as { cause?: { code?: string; message?: string } }).cause
      throw httpError(
        503,
        'clawhub_unreachable',
        `ClawHub at ${cfg.baseUrl} is unreachable (${cause?.code ?? cause?.message ?? (e as Error).message}); check [clawhub] api_url and the network`,
        { retryAfter: 10 },
      )
    } finally {
      clearTimeout(timer)
      this.inflight--
    }
  }

  /** GET and parse JSON; a non-2xx answer is passed on with its status and body text. */
  async json(path: string): Promise<unknown> {
    const { status, text } = await this.get(path)
    if (status < 200 || status >= 300) throw upstreamError(status, text)
    try {
      return JSON.parse(text)
    } catch {
      throw httpError(502, 'clawhub_bad_response', 'Bad response from ClawHub: not JSON')
    }
  }
}

/** The marketplace's own refusal, passed on — except 401/403, which here would log the dashboard out. */
export function upstreamError(status: number, text: string) {
  const passed = status === 401 || status === 403 || status < 400 || status > 599 ? 502 : status
  return httpError(passed, 'clawhub_upstream_error', text.slice(0, 2000) || `ClawHub answered ${status}`, { extra: { upstream_status: status } })
}

async function readCapped(res: Response, max: number, base: string): Promise<string> {
  const reader = res.body?.getReader()
  if (!reader) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      await reader.cancel().catch(() => {})
      throw httpError(502, 'clawhub_response_too_large', `ClawHub at ${base} sent more than ${max} bytes (max_response_bytes of the clawhub plugin)`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}
