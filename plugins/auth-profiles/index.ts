/**
 * auth-profiles — provider credentials, encrypted at rest (contract DOMAIN.md §14). Devices list,
 * create and delete profiles; only the service token (the operator's runtime) reads a secret back,
 * never cached; other plugins use them through the `auth-profiles` service. Every create, resolve
 * and delete is on the audit chain (names only, never a token).
 *
 * One node keeps them in a file (store.ts); in cluster mode (the kernel lends `shared-sql`) they are
 * PostgreSQL's (shared-store.ts), sealed with the key every node is given in REVKA_AUTH_PROFILES_KEY.
 */
import { AuthProfilesRef, definePlugin, httpError, KernelServices, reply, RevkaError, type RevkaRequest } from '@revka/plugin-sdk'
import { CLUSTER_KEY_ENV, clusterKey } from './sealed.js'
import { SharedProfileStore } from './shared-store.js'
import { ProfileStore } from './store.js'

/** a token longer than this is not a provider credential */
const TOKEN_MAX = 16 * 1024
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/

interface CreateBody {
  provider?: unknown
  profile_name?: unknown
  token?: unknown
  account_id?: unknown
  kind?: unknown
}

export default definePlugin({
  async setup(api) {
    const sql = api.services.find(KernelServices.sharedSql)
    const store = sql ? new SharedProfileStore(sql, clusterKey(api.gateway.env(CLUSTER_KEY_ENV))) : new ProfileStore(api.store.dir)
    if (store instanceof SharedProfileStore && !(await store.open()))
      throw new RevkaError(
        'REVKA_ERR_AUTH_PROFILES_KEY',
        `auth-profiles: this node's ${CLUSTER_KEY_ENV} is not the key the cluster's profiles are sealed with; give every node the same key`,
      )
    const limiter = () => api.services.get(KernelServices.authLimiter)
    const audit = (req: RevkaRequest, command: string, ok = true) =>
      api.audit.record({ event_type: 'security_event', action: { command, risk_level: 'high', allowed: ok, approved: ok }, result: { success: ok } }, req)

    api.services.provide(AuthProfilesRef, {
      async resolve(id) {
        const r = await store.resolve(id)
        if (!r || r.token === null) return null
        return { token: r.token, kind: r.profile.kind, provider: r.profile.provider, profile_name: r.profile.profile_name, expires_at: r.profile.expires_at }
      },
      // in-process callers only (revka onboard): the same checks as the create route, no limiter
      async put(p) {
        const token = p.token.trim()
        if (!NAME.test(p.provider) || !NAME.test(p.profile_name))
          throw httpError(400, 'auth_profile_missing_fields', 'provider and profile_name are 1–64 characters: letters, digits, . _ @ - (no ":")')
        if (!token || token.length > TOKEN_MAX) throw httpError(400, 'auth_profile_missing_token', `token must be 1–${TOKEN_MAX} characters`)
        const saved = await store.put({ provider: p.provider, profile_name: p.profile_name, token })
        api.audit.record({
          event_type: 'security_event',
          action: { command: `auth_profile.put ${saved.id}`, risk_level: 'high', allowed: true, approved: true },
          result: { success: true },
        })
        return saved.id
      },
      async remove(id) {
        const gone = await store.delete(id)
        if (gone)
          api.audit.record({
            event_type: 'security_event',
            action: { command: `auth_profile.delete ${id}`, risk_level: 'high', allowed: true, approved: true },
            result: { success: true },
          })
        return gone
      },
    })

    api.routes.add({
      method: 'GET',
      url: '/api/auth/profiles',
      auth: 'bearer',
      description: '{profiles:[Summary]} — metadata only, sorted by provider then name',
      handler: async () => ({ profiles: await store.list() }),
    })

    api.routes.add({
      method: 'POST',
      url: '/api/auth/profiles',
      auth: 'bearer',
      description: 'create a token profile; 10 attempts a minute per client then a 5-minute lockout (loopback exempt)',
      handler: async (req: RevkaRequest<CreateBody>) => {
        // every attempt counts, successful ones too, before anything of the body is looked at
        if (!req.isLoopback) {
          const wait = limiter().attempt(`auth-profiles|${req.clientKey}`)
          if (wait > 0) throw httpError(429, 'auth_profile_rate_limited', `Too many auth profile requests. Try again in ${wait}s.`, { retryAfter: wait })
        }
        const b = (req.body && typeof req.body === 'object' ? req.body : {}) as CreateBody
        const provider = typeof b.provider === 'string' ? b.provider.trim() : ''
        const name = typeof b.profile_name === 'string' ? b.profile_name.trim() : ''
        if (!provider || !name) throw httpError(400, 'auth_profile_missing_fields', 'provider and profile_name are required')
        if (!NAME.test(provider) || !NAME.test(name)) {
          throw httpError(400, 'auth_profile_missing_fields', 'provider and profile_name are 1–64 characters: letters, digits, . _ @ - (no ":")')
        }
        const kind = b.kind === undefined ? 'token' : b.kind
        if (kind === 'oauth') throw httpError(400, 'auth_profile_oauth_unsupported', 'OAuth profiles are created by the provider login flow, not here')
        if (kind !== 'token' && kind !== 'api_key') throw httpError(400, 'auth_profile_invalid_kind', 'kind must be "token" or "api_key"')
        const token = typeof b.token === 'string' ? b.token.trim() : ''
        if (!token) throw httpError(400, 'auth_profile_missing_token', 'token is required')
        if (token.length > TOKEN_MAX) throw httpError(400, 'auth_profile_missing_token', `token is longer than ${TOKEN_MAX} characters`)
        const accountId = typeof b.account_id === 'string' && b.account_id.trim() ? b.account_id.trim().slice(0, 256) : null
        const created = await store.create({ provider, profile_name: name, token, account_id: accountId })
        audit(req, `auth_profile.create ${created.id}`)
        return reply({ status: 201, body: created })
      },
    })

    api.routes.add({
      method: 'POST',
      url: '/api/auth/profiles/:id/resolve',
      auth: 'service',
      description: 'the secret, for the operator runtime: service token only, Cache-Control: no-store',
      handler: async (req) => {
        const r = await store.resolve(req.params.id)
        if (!r) throw httpError(404, 'auth_profile_not_found', `Auth profile ${req.params.id} not found`)
        if (r.token === null) throw httpError(410, 'auth_profile_empty', `Auth profile ${req.params.id} holds no token`)
        audit(req, `auth_profile.resolve ${r.profile.id}`)
        const p = r.profile
        return reply({
          headers: { 'cache-control': 'no-store' },
          body: { token: r.token, kind: p.kind, provider: p.provider, profile_name: p.profile_name, expires_at: p.expires_at },
        })
      },
    })

    api.routes.add({
      method: 'DELETE',
      url: '/api/auth/profiles/:id',
      auth: 'bearer',
      handler: async (req) => {
        if (!(await store.delete(req.params.id))) throw httpError(404, 'auth_profile_not_found', `Auth profile ${req.params.id} not found`)
        audit(req, `auth_profile.delete ${req.params.id}`)
        return reply({ status: 204 })
      },
    })
  },
})
