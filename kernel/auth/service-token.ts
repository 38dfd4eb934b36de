/**
 * The service token: 64 hex chars in `<state>/service-token`, mode 0600, created on first start and
 * reused. Plugins never read it; they sign URLs through `api.signUrl`.
 */
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { RevkaError } from '@revka/plugin-sdk'
import { writeFileAtomicSync } from '../config/fs-atomic.js'

export function loadOrCreateServiceToken(path: string): string {
  if (existsSync(path)) {
    const value = readFileSync(path, 'utf8').trim()
    if (!/^[0-9a-f]{64}$/.test(value)) throw new RevkaError('REVKA_ERR_SERVICE_TOKEN', `${path} does not hold 64 hex characters; delete it to mint a new one`)
    // tighten a file someone loosened
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600)
    return value
  }
  const value = randomBytes(32).toString('hex')
  writeFileAtomicSync(path, value + '\n', 0o600)
  chmodSync(path, 0o600)
  return value
}
