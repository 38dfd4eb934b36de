/**
 * Krefs (DOMAIN.md §1.3), parsed and formatted in this one place so every route plugin and every
 * store backend agrees on the grammar and on what is refused:
 *
 *   item      kref://<project>/<space>[/<sub>…]/<item_name>.<kind>
 *   revision  <item>?r=<N>
 *   tag       <item>?t=<tag>
 *   artifact  <item>?r=<N>&a=<artifact name>   (also <item>?t=<tag>&a=<name>)
 *
 * A segment is never empty, `.` or `..`, and never holds `/`, `\`, NUL/control characters, `?`,
 * `&` or `#`: a kref names a row in the store, and when a backend derives a file path from it
 * (artifact files) nothing in it can climb out of that backend's directory.
 */
import { domainError } from './domain-errors.js'

/** The prefix of every kref (`kref://`). */
export const KREF_SCHEME = 'kref://'

/** A parsed kref: project, spaces, item and optional revision and artifact. */
export interface Kref {
  project: string
  /** the spaces below the project, outermost first; may be empty for an item at the project root */
  spaces: string[]
  /** `item_name` (everything before the last `.` of the leaf) */
  name: string
  /** the kind (after the last `.` of the leaf): agent, skill, bundle, workflow… */
  kind: string
  /** `?r=N` */
  revision?: number
  /** `?t=tag` */
  tag?: string
  /** `&a=name` */
  artifact?: string
}

const SEGMENT_BAD = /[\u0000-\u001f\u007f/\\?&#]/
const KIND_RE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/
const MAX_KREF = 2048
const MAX_SEGMENT = 255

function bad(raw: string, why: string): never {
  throw domainError('kref_invalid', `Malformed kref "${raw.length > 200 ? raw.slice(0, 200) + '…' : raw}": ${why}`)
}

/** True when `s` can be a project, space, item or artifact name (see the module comment). */
export function isSafeSegment(s: string): boolean {
  return s.length > 0 && s.length <= MAX_SEGMENT && s !== '.' && s !== '..' && s.trim() === s && !SEGMENT_BAD.test(s)
}

/**
 * Parse a kref. The scheme is optional on input (`Revka/AgentPool/a.agent` and
 * `kref://Revka/AgentPool/a.agent` are the same item) and never doubled. Throws the domain error
 * `kref_invalid` (400) for anything else.
 */
export function parseKref(raw: string): Kref {
  if (typeof raw !== 'string' || raw.length === 0) bad(String(raw), 'empty')
  if (raw.length > MAX_KREF) bad(raw, `longer than ${MAX_KREF} characters`)
  let rest = raw.startsWith(KREF_SCHEME) ? raw.slice(KREF_SCHEME.length) : raw
  if (rest.startsWith(KREF_SCHEME)) bad(raw, 'the scheme is doubled')
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rest)) bad(raw, 'not a kref:// address')
  if (rest.startsWith('/')) bad(raw, 'absolute path')
  const q = rest.indexOf('?')
  const query = q >= 0 ? rest.slice(q + 1) : null
  if (q >= 0) rest = rest.slice(0, q)
  const parts = rest.split('/')
  if (parts.length < 2) bad(raw, 'expected <project>/<space…>/<item>.<kind>')
  for (const p of parts) if (!isSafeSegment(p)) bad(raw, `bad path segment "${p}"`)
  const leaf = parts[parts.length - 1]
  const dot = leaf.lastIndexOf('.')
  if (dot <= 0) bad(raw, 'the item has no .<kind>')
  const name = leaf.slice(0, dot)
  const kind = leaf.slice(dot + 1)
  if (!isSafeSegment(name)) bad(raw, 'bad item name')
  if (!KIND_RE.test(kind)) bad(raw, `bad kind "${kind}"`)
  const out: Kref = { project: parts[0], spaces: parts.slice(1, -1), name, kind }
  if (query !== null) parseSelectors(raw, query, out)
  return out
}

function parseSelectors(raw: string, query: string, out: Kref): void {
  if (query === '') bad(raw, 'empty selector')
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=')
    if (eq <= 0) bad(raw, `selector "${pair}" is not key=value`)
    const key = pair.slice(0, eq)
    const value = pair.slice(eq + 1)
    if (key === 'r') {
      if (out.revision !== undefined) bad(raw, 'r given twice')
      if (!/^[1-9][0-9]{0,8}$/.test(value)) bad(raw, 'r must be a positive integer')
      out.revision = Number(value)
    } else if (key === 't') {
      if (out.tag !== undefined) bad(raw, 't given twice')
      if (!isTagName(value)) bad(raw, `bad tag "${value}"`)
      out.tag = value
    } else if (key === 'a') {
      if (out.artifact !== undefined) bad(raw, 'a given twice')
      if (!isSafeSegment(value)) bad(raw, `bad artifact name "${value}"`)
      out.artifact = value
    } else bad(raw, `unknown selector "${key}"`)
  }
  if (out.revision !== undefined && out.tag !== undefined) bad(raw, 'r and t are exclusive')
}

/** Tag names: short, no separators (`published`, `latest`, `ready`, custom ones). */
export function isTagName(s: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(s)
}

/** Format a kref (always with the scheme); selectors are written in the order r, t, a. */
export function formatKref(k: Kref): string {
  const sel: string[] = []
  if (k.revision !== undefined) sel.push(`r=${k.revision}`)
  if (k.tag !== undefined) sel.push(`t=${k.tag}`)
  if (k.artifact !== undefined) sel.push(`a=${k.artifact}`)
  const path = [k.project, ...k.spaces, `${k.name}.${k.kind}`].join('/')
  return KREF_SCHEME + path + (sel.length ? '?' + sel.join('&') : '')
}

/** The item kref of any kref (selectors dropped). */
export function itemKref(raw: string | Kref): string {
  const k = typeof raw === 'string' ? parseKref(raw) : raw
  return formatKref({ project: k.project, spaces: k.spaces, name: k.name, kind: k.kind })
}

/** `/<project>/<space>/…` of a kref — the path of the space holding the item. */
export function krefSpacePath(k: Kref): string {
  return '/' + [k.project, ...k.spaces].join('/')
}

/**
 * Parse a space path `/<project>[/<space>…]`. The leading slash is optional on input (the
 * dashboard sometimes omits it, §9); the result always has it. Throws `kref_invalid` (400).
 */
export function parseSpacePath(raw: string): { project: string; spaces: string[]; path: string } {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_KREF) bad(String(raw), 'bad space path')
  const body = raw.startsWith('/') ? raw.slice(1) : raw
  const parts = body.replace(/\/$/, '').split('/')
  for (const p of parts) if (!isSafeSegment(p)) bad(raw, `bad space path segment "${p}"`)
  return { project: parts[0], spaces: parts.slice(1), path: '/' + parts.join('/') }
}

/**
 * `slugify(name)` of §1.3: trim → lowercase → every char that is not Unicode-alphanumeric and not
 * `-` becomes `-` → collapse runs of `-` → trim `-`. Item names of agents, skills and workflows.
 */
export function slugify(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}-]/gu, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
}
