/**
 * Sealing secrets at rest with node's built-in AEAD: ChaCha20-Poly1305, a fresh 12-byte nonce per
 * value, stored as `enc2:<hex(nonce ‖ ciphertext ‖ tag16)>` (the contract's format, §14). Unlike
 * the reference, the profile id is the associated data: a sealed value copied onto another profile
 * does not open there.
 *
 * The key is 32 random bytes, hex, in `<plugin dir>/secret.key`, created once with O_EXCL and mode
 * 0600 (a looser one found later is tightened). Losing it loses the secrets, never exposes them.
 *
 * In cluster mode every node must open what another sealed, and the key must not sit in the
 * database beside the sealed tokens, so it comes from the environment instead: CLUSTER_KEY_ENV,
 * the same 64 hex characters on every node (`openssl rand -hex 32`).
 */
import { chmodSync, openSync, readFileSync, statSync, writeSync, closeSync, mkdirSync } from 'node:fs'
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { dirname } from 'node:path'
import { RevkaError } from '@revka/plugin-sdk'

const PREFIX = 'enc2:'
const NONCE = 12
const TAG = 16

export function loadOrCreateKey(path: string): Buffer {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  try {
    const fd = openSync(path, 'wx', 0o600)
    try {
      const key = randomBytes(32)
      writeSync(fd, key.toString('hex'))
      return key
    } finally {
      closeSync(fd)
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
  }
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600)
  const hex = readFileSync(path, 'utf8').trim()
  if (!/^[0-9a-f]{64}$/i.test(hex))
    throw new RevkaError(
      'REVKA_ERR_AUTH_PROFILES_KEY',
      `auth-profiles: ${path} is not a 64-hex-character key; restore it from a backup (the stored profiles cannot be opened without it)`,
    )
  return Buffer.from(hex, 'hex')
}

/** the variable every cluster node sets to the shared sealing key */
export const CLUSTER_KEY_ENV = 'REVKA_AUTH_PROFILES_KEY'

/** the cluster's sealing key from CLUSTER_KEY_ENV's value; a missing or malformed one refuses the start */
export function clusterKey(hex: string | undefined): Buffer {
  const v = hex?.trim()
  if (!v || !/^[0-9a-f]{64}$/i.test(v))
    throw new RevkaError(
      'REVKA_ERR_AUTH_PROFILES_KEY',
      `auth-profiles: cluster mode needs ${CLUSTER_KEY_ENV}, the same 64-hex-character key on every node (openssl rand -hex 32); it is ${v ? 'not 64 hex characters' : 'not set'}. It is kept out of PostgreSQL so that a copy of the database does not open the stored tokens`,
    )
  return Buffer.from(v, 'hex')
}

export function seal(key: Buffer, plaintext: string, aad: string): string {
  const nonce = randomBytes(NONCE)
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG })
  c.setAAD(Buffer.from(aad), { plaintextLength: Buffer.byteLength(plaintext) })
  const body = Buffer.concat([c.update(plaintext, 'utf8'), c.final()])
  return PREFIX + Buffer.concat([nonce, body, c.getAuthTag()]).toString('hex')
}

/** the plaintext, or null when the value was tampered with, sealed for another id, or with another key */
export function open(key: Buffer, sealed: string, aad: string): string | null {
  if (!sealed.startsWith(PREFIX)) return null
  const raw = Buffer.from(sealed.slice(PREFIX.length), 'hex')
  if (raw.length < NONCE + TAG) return null
  const d = createDecipheriv('chacha20-poly1305', key, raw.subarray(0, NONCE), { authTagLength: TAG })
  const body = raw.subarray(NONCE, raw.length - TAG)
  d.setAAD(Buffer.from(aad), { plaintextLength: body.length })
  d.setAuthTag(raw.subarray(raw.length - TAG))
  try {
    return Buffer.concat([d.update(body), d.final()]).toString('utf8')
  } catch {
    return null
  }
}
