/** Device metadata from headers, or inferred from the User-Agent (as the reference does). */
import type { PairMetadata, RevkaRequest } from '@revka/plugin-sdk'

const MAX = 120

function h(req: RevkaRequest<unknown>, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = req.headers[n]
    const s = (Array.isArray(v) ? v[0] : v)?.trim()
    if (s) return s.slice(0, MAX)
  }
  return undefined
}

function fromUserAgent(ua: string): { name: string; type: string } {
  if (/revka-cli/i.test(ua)) return { name: 'Revka CLI', type: 'cli' }
  if (/iPhone|iPad/i.test(ua)) return { name: 'iOS device', type: 'mobile' }
  if (/Android/i.test(ua)) return { name: 'Android device', type: 'mobile' }
  if (/Windows/i.test(ua)) return { name: 'Windows browser', type: 'browser' }
  if (/Macintosh|Mac OS/i.test(ua)) return { name: 'macOS browser', type: 'browser' }
  if (/Linux/i.test(ua)) return { name: 'Linux client', type: 'desktop' }
  return { name: 'API client', type: 'api-client' }
}

export function deviceMeta(req: RevkaRequest<unknown>): PairMetadata {
  const guess = fromUserAgent(String(req.headers['user-agent'] ?? ''))
  return {
    name: h(req, 'x-revka-device-name', 'x-device-name') ?? guess.name,
    deviceType: h(req, 'x-revka-device-type', 'x-device-type') ?? guess.type,
    hardware: h(req, 'x-revka-device-hardware', 'x-device-hardware') ?? null,
  }
}
