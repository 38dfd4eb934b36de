/**
 * Secret masking for `GET /api/config` and restoring masked values on `PUT /api/config`.
 */
export const MASK = '***MASKED***'

const SECRET_KEY = /(secret|token|password|passwd|api_key|apikey|private_key|credentials?)$/i

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) || key === 'paired_tokens'
}

type Doc = Record<string, unknown>

/** A deep copy with every secret value replaced by the mask. */
export function maskDoc(doc: Doc): Doc {
  const out: Doc = {}
  for (const [k, v] of Object.entries(doc)) {
    if (isSecretKey(k) && v !== '' && v !== null && !(Array.isArray(v) && v.length === 0)) {
      out[k] = Array.isArray(v) ? v.map(() => MASK) : typeof v === 'object' ? maskDoc(v as Doc) : MASK
    } else if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) {
      out[k] = maskDoc(v as Doc)
    } else if (Array.isArray(v)) {
      out[k] = v.map((x) => (x && typeof x === 'object' && !(x instanceof Date) ? maskDoc(x as Doc) : x))
    } else out[k] = v
  }
  return out
}

/**
 * Replace masked values in `next` with the value at the same path in `current`.
 * Returns the list of paths that were masked but have no current value (the caller refuses those).
 */
export function restoreMasked(next: Doc, current: Doc, path: string[] = [], missing: string[] = []): string[] {
  for (const [k, v] of Object.entries(next)) {
    const here = [...path, k]
    const cur = current?.[k]
    if (v === MASK) {
      if (cur === undefined) missing.push(here.join('.'))
      else next[k] = cur
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => {
        const c = Array.isArray(cur) ? cur[i] : undefined
        if (item === MASK) {
          if (c === undefined) missing.push(`${here.join('.')}[${i}]`)
          else v[i] = c
        } else if (item && typeof item === 'object' && !(item instanceof Date)) {
          restoreMasked(item as Doc, (c ?? {}) as Doc, [...here, String(i)], missing)
        }
      })
    } else if (v && typeof v === 'object' && !(v instanceof Date)) {
      restoreMasked(v as Doc, (cur ?? {}) as Doc, here, missing)
    }
  }
  return missing
}
