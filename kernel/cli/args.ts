/**
 * Command-line parsing on Node's own `util.parseArgs`, strict: each command declares its options
 * (kernel/cli/commands.ts) and anything else is a usage error (exit 2) that prints that command's
 * help. This file only turns util.parseArgs' errors into messages an operator can act on.
 */
import { parseArgs as nodeParseArgs } from 'node:util'

export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  /** the placeholder shown in help for a string option (`--port N`) */
  value?: string
  /** one line for the command's help */
  help: string
}

export type OptionTable = Record<string, OptionSpec>

export interface ParsedArgs {
  positionals: string[]
  flags: Record<string, string | boolean | undefined>
}

/** A mistake in how the command was called: exit 2, with the help of the command it was meant for. */
export class UsageError extends Error {
  /** the help text to print after the message (set by main.ts to the command's own help) */
  help?: string
}

/** util.parseArgs' errors, reworded: its own messages suggest `--` quoting, which misleads here. */
function usageMessage(e: NodeJS.ErrnoException, argv: string[], options: OptionTable): string {
  // util.parseArgs names the option as `'-p, --port <value>'` or `'--foo'`: take the long form
  const quoted = /option '([^']+)'/i.exec(e.message)?.[1]
  const name = quoted ? (/--[^\s=,]+/.exec(quoted)?.[0] ?? quoted.split(/[\s,]/)[0]) : undefined
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${name ?? argv.find((a) => a.startsWith('-')) ?? ''}`.trim()
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const key = name?.replace(/^-+/, '')
      const spec = key ? (options[key] ?? Object.values(options).find((o) => o.short === key)) : undefined
      if (spec?.type === 'boolean') return `${name} is a switch and takes no value`
      return `${name ?? 'an option'} needs a value${spec?.value ? ` (${spec.value})` : ''}`
    }
    default:
      return e.message
  }
}

/**
 * Parse argv against `options`. A string option followed by another option (`--port --json`) is
 * a missing value, not the value "--json". Throws UsageError.
 */
export function parseWith(argv: string[], options: OptionTable): ParsedArgs {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {}
  for (const [name, o] of Object.entries(options)) config[name] = o.short ? { type: o.type, short: o.short } : { type: o.type }
  try {
    const { values, positionals } = nodeParseArgs({ args: argv, options: config, strict: true, allowPositionals: true })
    return { positionals, flags: values as ParsedArgs['flags'] }
  } catch (e) {
    const err = e as NodeJS.ErrnoException
    if (typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS_')) throw new UsageError(usageMessage(err, argv, options))
    throw e
  }
}

export function str(flags: ParsedArgs['flags'], key: string): string | undefined {
  const v = flags[key]
  return typeof v === 'string' ? v : undefined
}

export function port(flags: ParsedArgs['flags']): number | undefined {
  const v = str(flags, 'port')
  if (v === undefined) return undefined
  const n = Number(v)
  if (!/^\d+$/.test(v) || !Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be 0..65535, got "${v}"`)
  return n
}
