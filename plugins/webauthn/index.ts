/**
 * webauthn — passkeys (contract §1.19) on @simplewebauthn/server. The six routes answer 404
 * `{error:"WebAuthn is not enabled", code:"webauthn_not_enabled"}` unless `[security.webauthn] enabled = true` (or the plugin
 * option `enabled`). Beyond the reference: with `allow_sign_in = true`, `POST auth/finish` sent
 * without a bearer mints a new device token, for a passkey that a paired device registered and only
 * while that device is still registered (the pairing service's `mintDevice` checks it). Every
 * anonymous attempt counts against the auth limiter; every sign-in, refused or not, is audited.
 * In cluster mode (`shared-sql` lent) passkeys and pending challenges are the cluster's PostgreSQL
 * (shared-credentials.ts, shared-challenges.ts); on a single node the SQLite file and memory.
 */
import { definePlugin, httpError, KernelServices, reply, type RevkaRequest } from '@revka/plugin-sdk'
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server'
import { Challenges } from './challenges.js'
import { CredentialStore, type PasskeyStore } from './credential-store.js'
import type { Ceremonies } from './ceremonies.js'
import { readSettings } from './settings.js'

const USER = { type: 'string', minLength: 1, maxLength: 64 }
/** a credential response: id, rawId, type, response{…}, clientExtensionResults; checked by the library */
const FINISH = {
  type: 'object',
  required: ['challenge', 'id', 'response'],
  additionalProperties: true,
  properties: {
    challenge: { type: 'string', maxLength: 128 },
    id: { type: 'string', maxLength: 1366 },
    label: { type: 'string', maxLength: 120 },
    response: { type: 'object' },
  },
}

type FinishBody = { challenge: string; id: string; label?: string; response: Record<string, unknown> }

export default definePlugin<{ enabled?: boolean }>({
  async setup(api) {
    const settings = readSettings(api.gateway.section<{ webauthn?: Record<string, unknown> }>('security')?.webauthn, api.config.enabled)
    const disabled = () => reply({ status: 404, body: { error: 'WebAuthn is not enabled', code: 'webauthn_not_enabled' } })
    let ceremonies: Ceremonies | null = null
    let store: PasskeyStore | null = null
    if (settings.enabled) {
      const now = () => api.gateway.now()
      const sql = api.services.find(KernelServices.sharedSql)
      let challenges
      if (sql) {
        // cluster mode: passkeys and pending challenges in PostgreSQL, so any node finishes a ceremony
        const { SharedCredentialStore, WEBAUTHN_MIGRATIONS } = await import('./shared-credentials.js')
        const { SharedChallenges } = await import('./shared-challenges.js')
        await sql.migrate('webauthn', WEBAUTHN_MIGRATIONS)
        store = new SharedCredentialStore(sql)
        challenges = new SharedChallenges(sql, now)
      } else {
        // closed by the kernel when the plugin stops or is disabled (api.own)
        store = api.own(await CredentialStore.open(api.store.dir))
        challenges = new Challenges(now)
      }
      // the WebAuthn library is loaded only when passkeys are on: off (the default) costs no start time
      const { Ceremonies } = await import('./ceremonies.js')
      ceremonies = new Ceremonies(settings, challenges, store, now)
    }
    const pairing = () => api.services.get(KernelServices.pairing)
    const owner = (req: RevkaRequest) => (req.auth.via === 'anonymous' ? null : (req.auth.credentialId ?? req.auth.deviceId ?? req.auth.via))
    const audit = (req: RevkaRequest, command: string, ok: boolean, risk: 'medium' | 'high' = 'high') =>
      api.audit.record(
        { event_type: ok ? 'auth_success' : 'security_event', action: { command, risk_level: risk, allowed: ok, approved: ok }, result: { success: ok } },
        req,
      )

    api.routes.add({
      method: 'GET',
      url: '/api/webauthn/status',
      auth: 'public',
      description: 'whether passkeys are on and whether a passkey may sign in (the pairing page shows its button by this)',
      handler: () => ({ enabled: settings.enabled, sign_in: settings.allowSignIn, rp_id: settings.enabled ? settings.rpId : null }),
    })

    api.routes.add({
      method: 'POST',
      url: '/api/webauthn/register/start',
      auth: 'bearer',
      schema: {
        body: {
          type: 'object',
          required: ['user_id', 'user_name'],
          additionalProperties: false,
          properties: { user_id: USER, user_name: { ...USER, maxLength: 120 } },
        },
      },
      handler: async (req: RevkaRequest<{ user_id: string; user_name: string }>) => {
        if (!ceremonies) return disabled()
        return ceremonies.registrationOptions(req.body.user_id, req.body.user_name, owner(req))
      },
    })

    api.routes.add({
      method: 'POST',
      url: '/api/webauthn/register/finish',
      auth: 'bearer',
      schema: { body: FINISH },
      description: 'verify the attestation and store the passkey with the registering device; 409 when a per-user or overall cap is reached',
      handler: async (req: RevkaRequest<FinishBody>) => {
        if (!ceremonies || !store) return disabled()
        const { challenge, label, ...response } = req.body
        const r = await ceremonies.finishRegistration(challenge, response as unknown as RegistrationResponseJSON, owner(req))
        const created = new Date(api.gateway.now()).toISOString()
        const finalLabel = label?.trim() || 'Passkey'
        const added = await store.add({
          id: r.credential.id,
          user_id: r.userId,
          user_name: r.userName,
          public_key: Buffer.from(r.credential.publicKey),
          counter: r.credential.counter,
          transports: r.credential.transports ?? [],
          label: finalLabel,
          created_at: created,
          last_used_at: null,
          device_id: req.auth.deviceId ?? null,
        })
        if (added === 'exists') throw httpError(409, 'webauthn_credential_exists', 'This passkey is already registered')
        if (added === 'full') throw httpError(409, 'webauthn_too_many_credentials', 'Too many passkeys: delete one first (20 per user, 1000 in all)')
        audit(req, `webauthn.register ${r.credential.id}`, true, 'medium')
        return { credential_id: r.credential.id, label: finalLabel, registered_at: created }
      },
    })

    api.routes.add({
      method: 'POST',
      url: '/api/webauthn/auth/start',
      auth: 'bearer',
      anonymous: true,
      description: 'assertion options; without a bearer only while sign-in is on, and then user_id may be left out (discoverable passkeys)',
      schema: { body: { type: 'object', additionalProperties: false, properties: { user_id: USER } } },
      handler: async (req: RevkaRequest<{ user_id?: string } | undefined>) => {
        if (!ceremonies) return disabled()
        const anon = req.auth.via === 'anonymous'
        if (anon && !settings.allowSignIn)
          throw httpError(403, 'webauthn_sign_in_disabled', 'Passkey sign-in is not enabled ([security.webauthn] allow_sign_in)')
        const userId = req.body?.user_id ?? null
        if (!anon && userId === null) throw httpError(400, 'webauthn_missing_user', 'user_id is required')
        return ceremonies.authenticationOptions(userId, owner(req))
      },
    })

    api.routes.add({
      method: 'POST',
      url: '/api/webauthn/auth/finish',
      auth: 'bearer',
      anonymous: true,
      schema: { body: FINISH },
      description: 'with a bearer: {status:"authenticated"}; without one (sign-in on): a new device token',
      handler: async (req: RevkaRequest<FinishBody>) => {
        if (!ceremonies || !store) return disabled()
        const anon = req.auth.via === 'anonymous'
        if (anon) {
          // every anonymous attempt counts, successful ones too, before the body is looked at
          if (!req.isLoopback) {
            const wait = api.services.get(KernelServices.authLimiter).attempt(`webauthn|${req.clientKey}`)
            if (wait > 0) throw httpError(429, 'too_many_auth_attempts', `Too many auth attempts. Try again in ${wait}s.`, { retryAfter: wait })
          }
          if (!settings.allowSignIn) {
            audit(req, 'webauthn.sign_in refused: sign-in disabled', false)
            throw httpError(403, 'webauthn_sign_in_disabled', 'Passkey sign-in is not enabled ([security.webauthn] allow_sign_in)')
          }
        }
        const { challenge, label: _label, ...response } = req.body
        let cred
        try {
          cred = await ceremonies.finishAuthentication(challenge, response as unknown as AuthenticationResponseJSON, owner(req))
        } catch (e) {
          const code = (e as { code?: string }).code ?? 'error'
          audit(req, `webauthn.${anon ? 'sign_in' : 'authenticate'} refused: ${code} ${String(req.body.id).slice(0, 120)}`, false)
          throw e
        }
        if (!anon) {
          audit(req, `webauthn.authenticate ${cred.id}`, true, 'medium')
          return { status: 'authenticated' }
        }
        const minted =
          cred.device_id === null
            ? null
            : await pairing().mintDevice({
                parentDeviceId: cred.device_id,
                via: 'passkey',
                name: `Passkey: ${cred.label}`.slice(0, 120),
                deviceType: 'passkey',
                ip: req.clientKey,
              })
        // the assertion was genuine, so its counter was stored even when no token comes of it
        if (!minted) {
          audit(req, `webauthn.sign_in refused: registering device gone ${cred.id}`, false)
          throw httpError(403, 'webauthn_sign_in_refused', 'This passkey cannot sign in: the device that registered it is no longer paired')
        }
        audit(req, `webauthn.sign_in ${cred.id} device ${minted.deviceId}`, true)
        return { status: 'authenticated', token: minted.token, device_id: minted.deviceId, persisted: minted.persisted }
      },
    })

    api.routes.add({
      method: 'GET',
      url: '/api/webauthn/credentials',
      auth: 'bearer',
      schema: { query: { type: 'object', required: ['user_id'], properties: { user_id: USER } } },
      handler: async (req) => {
        if (!store) return disabled()
        const credentials = (await store.forUser(req.query.user_id!)).map((c) => ({
          credential_id: c.id,
          label: c.label,
          registered_at: c.created_at,
          last_used_at: c.last_used_at,
          transports: c.transports,
          device_id: c.device_id,
          sign_in: settings.allowSignIn && c.device_id !== null,
        }))
        return { credentials, count: credentials.length }
      },
    })

    api.routes.add({
      method: 'DELETE',
      url: '/api/webauthn/credentials/:id',
      auth: 'bearer',
      handler: async (req) => {
        if (!store) return disabled()
        if (!(await store.delete(req.params.id))) throw httpError(404, 'webauthn_credential_not_found', 'Passkey not found')
        audit(req, `webauthn.delete ${req.params.id}`, true, 'medium')
        return { deleted: true, credential_id: req.params.id }
      },
    })
  },
})
