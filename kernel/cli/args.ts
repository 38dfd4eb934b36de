/** A small argv parser: positionals, `--flag`, `--key value`, `--key=value`, `-p N`. */
export interface ParsedArgs {
  positionals: string[]
  flags: Record<string, string | boolean>
}

const SHORT: Record<string, string> = { p: 'port', h: 'help', v: 'version', n: 'lines', f: 'follow' }
const BOOLEAN = new Set(['help', 'version', 'json', 'new', 'headless', 'follow', 'non-interactive', 'offline'])

export class UsageError extends Error {}

export function parseArgs(argv: string[]): ParsedArgs {
  const out: ParsedArgs = { positionals: [], flags: {} }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--') { out.positionals.push(...argv.slice(i + 1)); break }
    if (a.startsWith('--') || (a.startsWith('-') && a.length === 2)) {
      let key = a.startsWith('--') ? a.slice(2) : SHORT[a[1]] ?? a[1]
      let value: string | boolean | undefined
      const eq = key.indexOf('=')
      if (eq >= 0) { value = key.slice(eq + 1); key = key.slice(0, eq) }
      if (value === undefined) {
        if (BOOLEAN.has(key)) value = true
        else {
          const next = argv[i + 1]
          if (next === undefined || next.startsWith('--')) throw new UsageError(`--${key} needs a value`)
          value = next
          i++
        }
      }
      out.flags[key] = value
    } else out.positionals.push(a)
  }
  return out
}

export function str(flags: ParsedArgs['flags'], key: string): string | undefined {
  const v = flags[key]
  return typeof v === 'string' ? v : undefined
}

export function port(flags: ParsedArgs['flags']): number | undefined {
  const v = str(flags, 'port')
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be 0..65535, got "${v}"`)
  return n
}
