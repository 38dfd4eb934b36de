/**
 * `[gateway.tls]`: the server options for HTTPS (and so WSS), and mutual TLS with a CA, pinned
 * client certificates, or both. Bad files fail the start with REVKA_ERR_TLS naming the key and the
 * path, never a half-configured listener. A client that fails mutual TLS is dropped right after
 * the handshake, before a byte of HTTP is parsed.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { createSecureContext, type TLSSocket } from 'node:tls'
import { RevkaError } from '@revka/plugin-sdk'
import type { TlsSettings } from '../config/gateway-config.js'

export interface HttpsSetup {
  /** key, cert and client-certificate options for https.createServer */
  options: { key: Buffer; cert: Buffer; ca?: Buffer; requestCert: boolean; rejectUnauthorized: boolean }
  /** true when a handshaken client may go on to HTTP */
  admit(socket: TLSSocket): boolean
}

function readPem(path: string, key: string, baseDir: string): Buffer {
  const full = isAbsolute(path) ? path : resolve(baseDir, path)
  try {
    return readFileSync(full)
  } catch (e) {
    throw new RevkaError('REVKA_ERR_TLS', `${key} = "${path}": cannot read ${full}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
}

/** SHA-256 of a certificate's DER bytes, lower-case hex (the form pins are written in) */
export function certFingerprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex')
}

/** Relative paths are taken from `baseDir` (the folder of config.toml). */
export function httpsSetup(tls: TlsSettings, baseDir: string): HttpsSetup {
  const key = readPem(tls.keyPath, 'gateway.tls.key_path', baseDir)
  const cert = readPem(tls.certPath, 'gateway.tls.cert_path', baseDir)
  try {
    // fails now, with a message, on a key that does not match the certificate or is not PEM
    createSecureContext({ key, cert })
  } catch (e) {
    throw new RevkaError('REVKA_ERR_TLS', `gateway.tls: the key and certificate cannot be used together: ${(e as Error).message}`)
  }
  const auth = tls.clientAuth
  if (!auth) return { options: { key, cert, requestCert: false, rejectUnauthorized: false }, admit: () => true }
  const ca = auth.caPath ? readPem(auth.caPath, 'gateway.tls.client_auth.ca_cert_path', baseDir) : undefined
  const pins = new Set(auth.pinnedCerts)
  return {
    // chain checks are ours (admit), not the handshake's: pinned self-signed client certificates
    // do not chain to any CA, and an optional client certificate must not fail the handshake
    options: { key, cert, ca, requestCert: true, rejectUnauthorized: false },
    admit(socket) {
      const peer = socket.getPeerCertificate()
      const presented = !!peer && !!peer.raw
      if (!presented) return !auth.requireClientCert
      if (ca && !socket.authorized) return false
      if (pins.size && !pins.has(certFingerprint(peer.raw))) return false
      return true
    },
  }
}
