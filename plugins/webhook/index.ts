/**
 * webhook — the generic synchronous webhook (contract §5, POST /webhook). Unlike the channel
 * providers it answers in the same request: `{message}` in, a tool-less agent turn, `{response,
 * model}` out. The kernel enforces the bearer surface and the per-client rate limit; the optional
 * shared secret is a second factor this plugin checks (constant time) before anything else runs.
 */
import { AgentRuntimeRef, definePlugin, httpError, KernelServices, resolveSecret, timingSafeEqualStr, type RevkaRequest } from '@revka/plugin-sdk'
import { IdempotencyWindow, type IdempotencyClaims } from './idempotency.js'
import { SharedIdempotencyWindow } from './shared-idempotency.js'
import { parseWebhookBody, sessionIdFrom } from './request.js'

interface Options {
  secret?: string
  timeout_secs: number
}
interface GatewaySection {
  webhook_rate_limit_per_minute?: number
  idempotency_ttl_secs?: number
  idempotency_max_keys?: number
}

const posInt = (v: unknown, dflt: number) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : dflt)

export default definePlugin<Options>({
  setup(api) {
    const gw = api.gateway.section<GatewaySection>('gateway') ?? {}
    const ttlSecs = posInt(gw.idempotency_ttl_secs, 300)
    const routeTimeoutMs = api.config.timeout_secs * 1000
    const maxKeys = posInt(gw.idempotency_max_keys, 0) || 10_000
    // cluster mode: the keys are shared, so a retry sent to another node is still a duplicate
    const sql = api.services.find(KernelServices.sharedSql)
    const idempotency: IdempotencyClaims = sql
      ? new SharedIdempotencyWindow(sql, ttlSecs * 1000, maxKeys, routeTimeoutMs)
      : new IdempotencyWindow(ttlSecs * 1000, maxKeys)
    const secret = () => resolveSecret({ env: 'REVKA_WEBHOOK_SECRET', config: 'secret' }, api.config, (name) => api.gateway.env(name))

    api.routes.add({
      method: 'POST',
      url: '/webhook',
      auth: 'bearer',
      rawBody: true,
      rateLimit: { perMinute: posInt(gw.webhook_rate_limit_per_minute, 60) },
      timeoutMs: routeTimeoutMs,
      description: 'synchronous tool-less agent turn: {message} → {response, model}',
      handler: async (req: RevkaRequest<unknown>) => {
        const expected = secret()
        if (expected) {
          const presented = req.headers['x-webhook-secret']
          if (typeof presented !== 'string' || !timingSafeEqualStr(presented, expected)) {
            throw httpError(401, 'invalid_webhook_secret', 'Unauthorized — invalid or missing X-Webhook-Secret header')
          }
        }
        const { message } = parseWebhookBody(req)
        const sessionId = sessionIdFrom(req)
        const key = typeof req.headers['x-idempotency-key'] === 'string' ? req.headers['x-idempotency-key'].trim().slice(0, 256) : ''
        if (key && !(await idempotency.claim(key))) {
          return { status: 'duplicate', idempotent: true, message: 'Request with this idempotency key was already processed' }
        }
        try {
          const result = await api.services.get(AgentRuntimeRef).runTurn(
            {
              sessionId,
              messages: [{ role: 'user', content: message }],
              signal: req.signal,
              source: 'webhook',
              tools: false,
              timeoutMs: Math.max(1000, routeTimeoutMs - 2000),
            },
            () => {},
          )
          if (result.timedOut) throw httpError(504, 'llm_timeout', 'LLM request timed out')
          if (result.stopped) throw httpError(408, 'request_cancelled', 'The request ended before the answer was ready')
          // the answer stands even if this mark is lost: the claim then lapses after the route timeout
          if (key) await idempotency.finish?.(key).catch(() => {})
          return { response: result.content, model: result.model }
        } catch (e) {
          // a release that fails (engine away) leaves the key claimed until its window ends
          if (key) await Promise.resolve(idempotency.release(key)).catch(() => {})
          if ((e as { statusCode?: number }).statusCode) throw e
          api.log.warn({ err: (e as Error).message, code: (e as { code?: string }).code }, 'webhook turn failed')
          throw httpError(500, 'llm_request_failed', 'LLM request failed')
        }
      },
    })
  },
})
