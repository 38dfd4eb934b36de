/**
 * A software authenticator for the tests: a real P-256 key from node:crypto, "none" attestation,
 * CBOR by the server library's own encoder. It produces exactly what a browser would send, and
 * lets a test tamper with any part (origin, rpId, counter, challenge) to play an attacker.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'
import { isoCBOR } from '@simplewebauthn/server/helpers'

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url')
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest()
const UP = 0x01,
  UV = 0x04,
  AT = 0x40

export interface Tamper {
  origin?: string
  rpId?: string
  counter?: number
  challenge?: string
  uv?: boolean
  type?: string
}

export class TestAuthenticator {
  readonly id = randomBytes(16)
  private readonly key: KeyObject
  private readonly pub: { x: Buffer; y: Buffer }
  counter = 0

  constructor(
    private readonly rpId: string,
    private readonly origin: string,
  ) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    this.key = privateKey
    const jwk = publicKey.export({ format: 'jwk' })
    this.pub = { x: Buffer.from(jwk.x!, 'base64url'), y: Buffer.from(jwk.y!, 'base64url') }
  }

  get credentialId(): string {
    return b64u(this.id)
  }

  private authData(t: Tamper, attested: boolean): Buffer {
    const flags = UP | (t.uv === false ? 0 : UV) | (attested ? AT : 0)
    const counter = Buffer.alloc(4)
    counter.writeUInt32BE(t.counter ?? this.counter)
    const parts = [sha256(t.rpId ?? this.rpId), Buffer.from([flags]), counter]
    if (attested) {
      const cose = isoCBOR.encode(
        new Map<number, number | Uint8Array>([
          [1, 2],
          [3, -7],
          [-1, 1],
          [-2, this.pub.x],
          [-3, this.pub.y],
        ]),
      )
      const len = Buffer.alloc(2)
      len.writeUInt16BE(this.id.length)
      parts.push(Buffer.alloc(16), len, this.id, Buffer.from(cose))
    }
    return Buffer.concat(parts)
  }

  private clientData(type: string, challenge: string, t: Tamper): Buffer {
    return Buffer.from(JSON.stringify({ type: t.type ?? type, challenge: t.challenge ?? challenge, origin: t.origin ?? this.origin, crossOrigin: false }))
  }

  /** the body of `POST register/finish` for these creation options */
  attest(options: { challenge: string }, t: Tamper = {}, label?: string) {
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', new Uint8Array(this.authData(t, true))],
      ]) as never,
    )
    return {
      challenge: options.challenge,
      label,
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64u(this.clientData('webauthn.create', options.challenge, t)),
        attestationObject: b64u(attestationObject),
        transports: ['internal'],
      },
    }
  }

  /** the body of `POST auth/finish` for these request options; the counter moves on by one */
  assert(options: { challenge: string }, t: Tamper = {}) {
    if (t.counter === undefined) this.counter += 1
    const authData = this.authData(t, false)
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, t)
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.key)
    return {
      challenge: options.challenge,
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      clientExtensionResults: {},
      response: { clientDataJSON: b64u(clientDataJSON), authenticatorData: b64u(authData), signature: b64u(signature) },
    }
  }
}
