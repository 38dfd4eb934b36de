/**
 * WebSocket Origin policy (checked before auth): allowed when absent, equal to the Host's host,
 * a loopback origin, a Tauri shell, or listed in `[gateway] allowed_origins`. Everything else,
 * including an unparseable `null`, is cross-site.
 */
import { isLoopbackAddress } from '../auth/client.js'

const TAURI = new Set(['tauri://localhost', 'http://tauri.localhost', 'https://tauri.localhost'])

function hostOnly(hostHeader: string | undefined): string {
  if (!hostHeader) return ''
  const h = hostHeader.trim().toLowerCase()
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']'))
  return h.split(':')[0]
}

export function originAllowed(origin: string | undefined, host: string | undefined, allowed: string[]): boolean {
  if (origin === undefined) return true
  if (TAURI.has(origin) || allowed.includes(origin)) return true
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return false
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false
  const oh = url.hostname.toLowerCase().replace(/^\[|\]$/g, '')
  if (oh === 'localhost' || isLoopbackAddress(oh)) return true
  return oh !== '' && oh === hostOnly(host)
}
