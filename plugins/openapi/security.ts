/**
 * The gateway's auth surfaces as OpenAPI security schemes, and each route's requirement. A route's
 * surfaces are "any of", so each becomes its own requirement object (OpenAPI ORs the list).
 * Loopback and a webhook's provider signature have no OpenAPI type of their own: they are `http`
 * schemes with a name of ours and a description saying what the kernel actually checks, and every
 * scheme carries `x-revka-surface` so a tool need not parse the prose.
 */
import type { RouteInfo } from '@revka/plugin-sdk'

export const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description:
      'A paired device token (`Authorization: Bearer <token>`, from POST /pair). Brute force is limited per client. While pairing is off (`require_pairing = false`) these routes need no token.',
    'x-revka-surface': 'bearer',
  },
  serviceToken: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Revka-Service-Token',
    description: "The gateway's service token (in the state dir): for local automation. Accepted on service routes and on bearer REST routes.",
    'x-revka-surface': 'service',
  },
  queryToken: {
    type: 'apiKey',
    in: 'query',
    name: 'token',
    description:
      'A device token in the query, only where headers cannot be set: WebSocket upgrades (also as the `bearer.<token>` subprotocol) and EventSource streams. Redacted from logs.',
    'x-revka-surface': 'bearer',
  },
  loopback: {
    type: 'http',
    scheme: 'loopback',
    description:
      'No credential: let in only from a loopback socket peer (127.0.0.0/8, ::1) carrying no X-Forwarded-For, Forwarded or X-Real-IP header, or through the admin socket. Refused elsewhere with 403 loopback_only.',
    'x-revka-surface': 'loopback',
  },
  signedUrl: {
    type: 'apiKey',
    in: 'query',
    name: 'sig',
    description: 'An HMAC-signed URL minted by the gateway: `?exp=<unix seconds>&sig=<hex>` over the path; expires at `exp`. Refused with 403.',
    'x-revka-surface': 'signed',
  },
  webhookSignature: {
    type: 'http',
    scheme: 'webhook-signature',
    description:
      "A public webhook: no gateway credential. The provider signs each delivery (its own header and scheme); the kernel verifies it over the raw body with the plugin's secret before any handler runs. Missing secret → 503 webhook_not_configured; bad signature → 401 invalid_signature; stale timestamp → 401 stale_timestamp.",
    'x-revka-surface': 'provider',
  },
} as const

export type SchemeName = keyof typeof SECURITY_SCHEMES
type Requirement = Partial<Record<SchemeName, string[]>>

/** The operation's `security`: [] for public routes (anyone), else one requirement per way in. */
export function securityOf(r: RouteInfo): Requirement[] {
  if (r.auth === 'provider') return [{ webhookSignature: [] }]
  if (r.auth.includes('public')) return []
  const ways = new Set<SchemeName>()
  for (const s of r.auth) {
    if (s === 'bearer') {
      ways.add('bearer')
      if (r.queryToken) ways.add('queryToken')
      // the kernel takes the service token on bearer routes too, but not on WebSockets or query-token streams
      else ways.add('serviceToken')
    } else if (s === 'service') ways.add('serviceToken')
    else if (s === 'loopback') ways.add('loopback')
    else if (s === 'signed') ways.add('signedUrl')
  }
  const out: Requirement[] = [...ways].map((w) => ({ [w]: [] }))
  // `{}`: a caller with no credential gets the route's public view
  if (r.anonymous) out.push({})
  return out
}
