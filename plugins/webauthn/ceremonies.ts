/**
 * The two WebAuthn ceremonies on @simplewebauthn/server, with this gateway's rules on top: user
 * verification required, the challenge taken (single use, bound to user, ceremony and starting
 * credential) before anything is verified, and a sign counter that does not move forward refused
 * before the library sees it, so the caller can audit a possibly cloned authenticator. The new
 * counter is stored by compare-and-set before the ceremony counts as done: of two verifications of
 * the same passkey racing (on one node or two), the one that loses is refused the same way.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server'
import { isoBase64URL, parseAuthenticatorData } from '@simplewebauthn/server/helpers'
import { httpError } from '@revka/plugin-sdk'
import type { ChallengeBook } from './challenges.js'
import type { PasskeyStore, StoredCredential } from './credential-store.js'
import type { WebauthnSettings } from './settings.js'

const TIMEOUT_MS = 5 * 60_000

export class Ceremonies {
  constructor(
    private readonly s: WebauthnSettings,
    private readonly challenges: ChallengeBook,
    private readonly store: PasskeyStore,
    private readonly now: () => number,
  ) {}

  async registrationOptions(userId: string, userName: string, owner: string | null) {
    const options = await generateRegistrationOptions({
      rpName: this.s.rpName,
      rpID: this.s.rpId,
      userName,
      userID: new TextEncoder().encode(userId),
      timeout: TIMEOUT_MS,
      attestationType: 'none',
      excludeCredentials: (await this.store.forUser(userId)).map((c) => ({ id: c.id, transports: c.transports })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    })
    await this.challenges.issue(options.challenge, 'register', { id: userId, name: userName }, owner)
    return options
  }

  /** the verified credential, not yet stored; throws 400 on any mismatch */
  async finishRegistration(challenge: string, response: RegistrationResponseJSON, owner: string | null) {
    const pending = await this.challenges.take(challenge, 'register', owner)
    let v
    try {
      v = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.s.rpOrigin,
        expectedRPID: this.s.rpId,
        requireUserVerification: true,
      })
    } catch (e) {
      throw httpError(400, 'webauthn_verification_failed', `Registration not verified: ${(e as Error).message}`)
    }
    if (!v.verified) throw httpError(400, 'webauthn_verification_failed', 'Registration not verified')
    return { userId: pending.userId!, userName: pending.userName ?? pending.userId!, credential: v.registrationInfo.credential }
  }

  async authenticationOptions(userId: string | null, owner: string | null) {
    // without a user, the authenticator offers its discoverable passkeys for this rp_id
    const allow = userId === null ? undefined : (await this.store.forUser(userId)).map((c) => ({ id: c.id, transports: c.transports }))
    if (allow && allow.length === 0) throw httpError(404, 'webauthn_no_credentials', 'No passkeys registered for this user')
    const options = await generateAuthenticationOptions({ rpID: this.s.rpId, allowCredentials: allow, userVerification: 'required', timeout: TIMEOUT_MS })
    await this.challenges.issue(options.challenge, 'auth', { id: userId }, owner)
    return options
  }

  /**
   * Verify an assertion. `counter_regression` is thrown (403) for a counter that did not move
   * forward, so the route can audit it, and for one that lost the compare-and-set to a concurrent
   * verification. On success the new counter and last use are already stored.
   */
  async finishAuthentication(challenge: string, response: AuthenticationResponseJSON, owner: string | null): Promise<StoredCredential> {
    const pending = await this.challenges.take(challenge, 'auth', owner)
    const cred = typeof response.id === 'string' ? await this.store.get(response.id) : undefined
    if (!cred || (pending.userId !== null && cred.user_id !== pending.userId)) {
      throw httpError(400, 'webauthn_unknown_credential', 'Unknown passkey for this ceremony')
    }
    let counter: number
    try {
      counter = parseAuthenticatorData(isoBase64URL.toBuffer(response.response.authenticatorData)).counter
    } catch {
      throw httpError(400, 'webauthn_verification_failed', 'Malformed authenticator data')
    }
    if ((counter > 0 || cred.counter > 0) && counter <= cred.counter) {
      throw httpError(
        403,
        'webauthn_counter_regression',
        `The passkey's sign counter went backwards (${counter} ≤ ${cred.counter}): refused, the authenticator may have been cloned`,
      )
    }
    let v
    try {
      v = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.s.rpOrigin,
        expectedRPID: this.s.rpId,
        requireUserVerification: true,
        credential: { id: cred.id, publicKey: new Uint8Array(cred.public_key), counter: cred.counter, transports: cred.transports as never },
      })
    } catch (e) {
      throw httpError(400, 'webauthn_verification_failed', `Authentication not verified: ${(e as Error).message}`)
    }
    if (!v.verified) throw httpError(400, 'webauthn_verification_failed', 'Authentication not verified')
    const counterNow = v.authenticationInfo.newCounter
    if (!(await this.store.used(cred.id, cred.counter, counterNow, new Date(this.now()).toISOString()))) {
      throw httpError(403, 'webauthn_counter_regression', `The passkey's sign counter moved meanwhile (another sign-in used ${counterNow} or later): refused`)
    }
    return { ...cred, counter: counterNow }
  }
}
