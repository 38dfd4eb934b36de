/**
 * Secret masking for `GET /api/config` (and `revka plugins info`), and restoring masked values on
 * `PUT /api/config`. Masked: values of secret-looking keys, every value of a `headers` table
 * (Authorization, x-api-key, Cookie… all of them), and the credential parts of URLs — the
 * `user:pass@` part and the values of secret-looking query parameters — so the operator still sees
 * where a URL points.
 */
export const MASK = '***MASKED***'

const SECRET_KEY = /(secret|token|password|passwd|api_key|apikey|private_key|credentials?)$/i
/** query parameters whose values are credentials (`key=`, `token=`, `api_key=`, `sig=`, …) */
const SECRET_PARAM = /(^|[_-])(key|apikey|token|secret|sig|signature|password|passwd|pass|pwd|auth|authorization|credentials?|session|code)$/i
/** `scheme://userinfo@` */
const URL_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@\s]+)@/i

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) || key === 'paired_tokens'
}

type Doc = Record<string, unknown>

function isTable(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)
}

/** A URL with its userinfo and secret query values masked; any other string as it is. */
export function maskUrl(s: string): string {
  if (!s.includes('://')) return s
  let out = s.replace(URL_USERINFO, (_m, scheme) => `${scheme}${MASK}@`)
  const q = out.indexOf('?')
  if (q >= 0) {
    const hash = out.indexOf('#', q)
    const end = hash >= 0 ? hash : out.length
    const query = out
      .slice(q + 1, end)
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=')
        if (eq < 0) return pair
        let name = pair.slice(0, eq)
        try {
          name = decodeURIComponent(name)
        } catch {}
        return SECRET_PARAM.test(name) && eq < pair.length - 1 ? `${pair.slice(0, eq)}=${MASK}` : pair
      })
    out = `${out.slice(0, q + 1)}${query.join('&')}${out.slice(end)}`
  }
  return out
}

function hasValue(v: unknown): boolean {
  return v !== '' && v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0)
}

/** Everything under a secret key, masked (tables keep their shape). */
function maskAll(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(maskAll)
  if (isTable(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskAll(x)]))
  return hasValue(v) ? MASK : v
}

function maskValue(v: unknown, secretKey: (key: string) => boolean): unknown {
  if (typeof v === 'string') return maskUrl(v)
  if (Array.isArray(v)) return v.map((x) => maskValue(x, secretKey))
  if (isTable(v)) return maskDoc(v, secretKey)
  return v
}

/**
 * A deep copy with every secret masked. `secretKey` says which names are secret (by default the
 * names above; `revka plugins info` adds the options a manifest's schema marks `writeOnly`).
 */
export function maskDoc(doc: Doc, secretKey: (key: string) => boolean = isSecretKey): Doc {
  const out: Doc = {}
  for (const [k, v] of Object.entries(doc)) {
    if ((secretKey(k) || (k.toLowerCase() === 'headers' && isTable(v))) && hasValue(v)) out[k] = maskAll(v)
    else out[k] = maskValue(v, secretKey)
  }
  return out
}

/**
 * The stored value a sent value stands for: the current value when `sent` is what GET showed for
 * it (the whole mask, or the current URL with its credentials masked); `undefined` when `sent`
 * holds a mask that stands for nothing stored (the caller refuses it, never writes a mask).
 */
function restoreString(sent: string, cur: unknown): unknown {
  if (!sent.includes(MASK)) return sent
  if (cur === undefined) return undefined
  if (sent === MASK) return cur
  return typeof cur === 'string' && maskUrl(cur) === sent ? cur : undefined
}

/**
 * Replace masked values in `next` with the value at the same path in `current`.
 * Returns the list of paths that were masked but have no current value (the caller refuses those).
 */
export function restoreMasked(next: Doc, current: Doc, path: string[] = [], missing: string[] = []): string[] {
  for (const [k, v] of Object.entries(next)) {
    const here = [...path, k]
    const cur = isTable(current) ? current[k] : undefined
    if (typeof v === 'string') {
      const r = restoreString(v, cur)
      if (r === undefined) missing.push(here.join('.'))
      else next[k] = r
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => {
        const c = Array.isArray(cur) ? cur[i] : undefined
        if (typeof item === 'string') {
          const r = restoreString(item, c)
          if (r === undefined) missing.push(`${here.join('.')}[${i}]`)
          else v[i] = r
        } else if (isTable(item)) {
          restoreMasked(item, (c ?? {}) as Doc, [...here, String(i)], missing)
        }
      })
    } else if (isTable(v)) {
      restoreMasked(v, (cur ?? {}) as Doc, here, missing)
    }
  }
  return missing
}
