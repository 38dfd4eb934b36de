/**
 * What leaves the runner for people to read: step previews capped as the contract says
 * (`output_preview` 400 characters, `error` 1000), cut at a character boundary, with secrets
 * redacted; and the cap on what one step's output may store at all.
 */

/** a step's full output is kept up to this many characters (the store stays bounded) */
export const OUTPUT_CAP = 256 * 1024
export const PREVIEW_CHARS = 400
export const ERROR_CHARS = 1000

const SECRET_PATTERNS: RegExp[] = [
  /\b(sk|rk|pk|xox[abpr]|ghp|gho|github_pat|glpat)[-_][A-Za-z0-9_-]{8,}/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\b([A-Za-z0-9_]*(?:api[_-]?key|token|secret|password|passwd|credential)[A-Za-z0-9_]*)(\s*[=:]\s*)("?)[^\s"',;]{4,}\3/gi,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
]

export function redact(text: string): string {
  let out = text
  for (const re of SECRET_PATTERNS) {
    out = out.replace(re, (m, a, b, c) => (typeof b === 'string' && /[=:]/.test(b) ? `${a}${b}${c}[REDACTED]${c}` : '[REDACTED]'))
  }
  return out
}

/** at most `max` characters (code points, so no surrogate pair is split), with `…` when cut */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text
  const chars = Array.from(text)
  return chars.length <= max ? text : chars.slice(0, max - 1).join('') + '…'
}

export function preview(text: string | undefined, max = PREVIEW_CHARS): string {
  return cut(redact(text ?? ''), max)
}

export function capOutput(text: string): string {
  return text.length <= OUTPUT_CAP ? text : cut(text, OUTPUT_CAP) + `\n...[output capped at ${OUTPUT_CAP} characters]`
}
