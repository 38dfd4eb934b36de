/**
 * Where a click may go: an absolute http(s) URL with a host — never `javascript:`, `data:`, a
 * relative path or a protocol-relative `//host` — and, when an allow-list is set, a host equal to
 * an entry or a subdomain of it on a dot boundary (`evil-example.com` is not under `example.com`).
 */

export type DestinationVerdict = { ok: true; url: URL } | { ok: false; reason: 'missing' | 'invalid' | 'not_allowed' }

export function parseAllowedHosts(list: string | string[] | undefined): string[] {
  const items = Array.isArray(list) ? list : (list ?? '').split(',')
  return items
    .map((h) =>
      h
        .trim()
        .toLowerCase()
        .replace(/^\.+|\.+$/g, ''),
    )
    .filter(Boolean)
}

export function hostAllowed(host: string, allowed: string[]): boolean {
  if (!allowed.length) return true
  const h = host.toLowerCase().replace(/\.$/, '')
  return allowed.some((a) => h === a || h.endsWith(`.${a}`))
}

export function checkDestination(u: unknown, allowed: string[]): DestinationVerdict {
  if (u === undefined || u === null || (typeof u === 'string' && !u.trim())) return { ok: false, reason: 'missing' }
  if (typeof u !== 'string') return { ok: false, reason: 'invalid' } // e.g. ?u=a&u=b
  // require the scheme literally: the URL parser would otherwise accept "http:evil.com" forms
  if (!/^https?:\/\/[^/\\]/i.test(u.trim())) return { ok: false, reason: 'invalid' }
  let url: URL
  try {
    url = new URL(u.trim())
  } catch {
    return { ok: false, reason: 'invalid' }
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) return { ok: false, reason: 'invalid' }
  if (!hostAllowed(url.hostname, allowed)) return { ok: false, reason: 'not_allowed' }
  return { ok: true, url }
}
