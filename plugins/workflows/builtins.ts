/**
 * Built-in workflows (§7.1 "merge the built-ins"): the YAML files shipped in this plugin's
 * `builtins/` folder, then the operator's `<state>/plugins/workflows/builtins/` (an operator file with the
 * same slug replaces the shipped one). Read at each list, as the reference reads its folder, and
 * bounded: at most MAX_FILES files of at most MAX_BYTES each; anything else is skipped and logged.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { slugify, type Logger } from '@revka/plugin-sdk'
import { parseDoc, type Builtin } from './workflow-shape.js'

export const SHIPPED_DIR = join(dirname(fileURLToPath(import.meta.url)), 'builtins')
const MAX_FILES = 200
const MAX_BYTES = 1024 * 1024

function readDir(dir: string, log: Logger, into: Map<string, Builtin>): void {
  let names: string[]
  try {
    names = readdirSync(dir)
      .filter((n) => /\.ya?ml$/i.test(n))
      .sort()
      .slice(0, MAX_FILES)
  } catch {
    return // no such folder: no built-ins from it
  }
  for (const name of names) {
    const file = join(dir, name)
    try {
      const st = statSync(file)
      if (!st.isFile() || st.size > MAX_BYTES) {
        log.warn({ file }, 'built-in workflow skipped: not a file or larger than 1 MiB')
        continue
      }
      const slug = slugify(name.replace(/\.ya?ml$/i, ''))
      if (!slug) continue
      const yaml = readFileSync(file, 'utf8')
      into.set(slug, { slug, yaml, doc: parseDoc(yaml) })
    } catch (err) {
      log.warn({ file, err }, 'built-in workflow unreadable')
    }
  }
}

/** Every built-in by slug; the operator's folder wins over the shipped one. */
export function loadBuiltins(operatorDir: string, log: Logger, shippedDir = SHIPPED_DIR): Map<string, Builtin> {
  const out = new Map<string, Builtin>()
  readDir(shippedDir, log, out)
  readDir(operatorDir, log, out)
  return out
}

/**
 * The built-in a run request names (display name or slug), for `run/{name}` when the store has no
 * such workflow (§7.4 loads the store item first, the built-ins last).
 */
export function findBuiltin(operatorDir: string, name: string, log: Logger): Builtin | undefined {
  const want = slugify(name)
  if (!want) return undefined
  for (const b of loadBuiltins(operatorDir, log).values()) {
    if (b.slug === want || (typeof b.doc?.name === 'string' && slugify(b.doc.name) === want)) return b
  }
  return undefined
}
