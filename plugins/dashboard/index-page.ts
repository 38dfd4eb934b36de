/**
 * The SPA's index.html as every client route gets it: read from the web root, rewritten for the
 * path prefix as the reference does (`/_app/` → `{prefix}/_app/`, and a script setting
 * `window.__REVKA_BASE__` first thing in `<head>`), with an ETag over the rewritten bytes. The
 * result is kept while the file's size and mtime stay the same, so a rebuilt dashboard shows up at
 * the next request without a restart.
 */
import { createHash } from 'node:crypto'
import { readFile, realpath, stat } from 'node:fs/promises'
import { join, sep } from 'node:path'

/** an index.html larger than this is not a dashboard's: refused rather than held in memory */
export const INDEX_MAX_BYTES = 4 * 1024 * 1024

export interface IndexPage {
  body: Buffer
  etag: string
}

/**
 * The prefix as it goes into the page's URLs: each segment percent-encoded (so no quote, `<`, `&`
 * or space can end an attribute or a string), `/` kept.
 */
export function urlPrefix(prefix: string): string {
  return prefix
    .split('/')
    .map((seg) => encodeURIComponent(seg).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/')
}

/** A JavaScript string literal that is also safe inside an HTML `<script>` element. */
export function scriptString(value: string): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** index.html rewritten for `prefix` ('' = unchanged). */
export function rewriteIndex(html: string, prefix: string): string {
  if (!prefix) return html
  const base = urlPrefix(prefix)
  const script = `<script>window.__REVKA_BASE__=${scriptString(prefix)};</script>`
  const out = html.split('/_app/').join(`${base}/_app/`)
  const head = /<head(?:\s[^>]*)?>/i.exec(out)
  if (!head) return script + out
  const at = head.index + head[0].length
  return out.slice(0, at) + script + out.slice(at)
}

export function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`
}

/** True when an If-None-Match header names this ETag (weak comparison, `*` included). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false
  if (header.trim() === '*') return true
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)
}

export class IndexPageCache {
  private key = ''
  private page?: IndexPage

  constructor(
    private readonly dir: string,
    private readonly prefix: string,
  ) {}

  /** The page, or undefined when index.html cannot be read now (missing, too large, outside). */
  async get(): Promise<IndexPage | undefined> {
    try {
      // like every asset, index.html must not lead out of the web root through a symlink
      const dir = await realpath(this.dir)
      const file = await realpath(join(dir, 'index.html'))
      if (!file.startsWith(dir + sep)) return undefined
      const st = await stat(file)
      if (!st.isFile() || st.size > INDEX_MAX_BYTES) return undefined
      const key = `${st.size}:${st.mtimeMs}:${st.ino}`
      if (this.page && key === this.key) return this.page
      const body = Buffer.from(rewriteIndex(await readFile(file, 'utf8'), this.prefix))
      this.page = { body, etag: etagOf(body) }
      this.key = key
      return this.page
    } catch {
      return undefined
    }
  }
}
