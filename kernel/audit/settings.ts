/**
 * `[security.audit]` in config.toml and the signing key from the environment (contract §18):
 *
 * ```toml
 * [security.audit]
 * enabled = true        # default
 * max_size_mb = 10      # the current file rotates past this (the reference: 100; see README)
 * keep = 9              # rotated files kept: audit.log.1.log … audit.log.9.log
 * sign_events = true    # default: true when REVKA_AUDIT_SIGNING_KEY is set
 * ```
 *
 * `REVKA_AUDIT_SIGNING_KEY` is 64 hex characters (32 bytes, the HMAC key). The reference only warns
 * about a bad or missing key and runs unaudited; here the start refuses, naming the fix.
 */
import { RevkaError } from '@revka/plugin-sdk'

export const SIGNING_KEY_ENV = 'REVKA_AUDIT_SIGNING_KEY'

export interface AuditSettings {
  enabled: boolean
  maxBytes: number
  keep: number
  signingKey: Buffer | null
}

const fail = (msg: string): never => {
  throw new RevkaError('REVKA_ERR_AUDIT_CONFIG', `audit log: ${msg}`)
}

/** the key for signing and verifying, or null; throws on a malformed one */
export function signingKeyFrom(env: NodeJS.ProcessEnv): Buffer | null {
  const raw = env[SIGNING_KEY_ENV]?.trim()
  if (!raw) return null
  if (!/^[0-9a-fA-F]{64}$/.test(raw)) fail(`${SIGNING_KEY_ENV} must be 64 hex characters (32 bytes; e.g. \`openssl rand -hex 32\`)`)
  return Buffer.from(raw, 'hex')
}

export function auditSettings(security: unknown, env: NodeJS.ProcessEnv): AuditSettings {
  const t = (security && typeof security === 'object' ? (security as Record<string, unknown>).audit : undefined) ?? {}
  if (typeof t !== 'object' || Array.isArray(t)) return fail('[security.audit] must be a table')
  const a = t as Record<string, unknown>
  const bool = (k: string, d: boolean | undefined) => {
    if (a[k] === undefined) return d
    if (typeof a[k] !== 'boolean') fail(`[security.audit] ${k} must be true or false`)
    return a[k] as boolean
  }
  const mb = a.max_size_mb ?? 10
  if (typeof mb !== 'number' || !(mb > 0) || mb > 4096) fail('[security.audit] max_size_mb must be a number above 0 and at most 4096')
  const keep = a.keep ?? 9
  if (typeof keep !== 'number' || !Number.isInteger(keep) || keep < 1 || keep > 99) fail('[security.audit] keep must be a whole number from 1 to 99')
  const key = signingKeyFrom(env)
  const sign = bool('sign_events', undefined)
  if (sign === true && !key) fail(`[security.audit] sign_events = true needs ${SIGNING_KEY_ENV} (64 hex characters) in the environment`)
  return {
    enabled: bool('enabled', true) as boolean,
    // at least 1 KiB, so that a small test size still holds one entry per file
    maxBytes: Math.max(1024, Math.round((mb as number) * 1024 * 1024)),
    keep: keep as number,
    signingKey: sign === false ? null : key,
  }
}
