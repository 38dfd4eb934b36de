/**
 * Finding the command an argv names in the table (kernel/cli/commands.ts) and printing help: the
 * global help lists every command; each command and subcommand has its own, with its options.
 */
import { optionsOf, allStringOptions, COMMANDS, type CommandSpec } from './commands.js'
import { parseWith, UsageError, type OptionTable, type ParsedArgs } from './args.js'

/** the words of argv that are not options or option values, up to `--` */
function words(argv: string[], stringOptions: Set<string>): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--') break
    if (a.startsWith('-') && a.length > 1) {
      if (!a.includes('=') && stringOptions.has(a)) i++
      continue
    }
    out.push(a)
  }
  return out
}

export interface Resolved {
  spec: CommandSpec
  /** a group named without a subcommand: its help, or its default subcommand */
  group?: CommandSpec
  /** how many argv words named the command */
  consumed: number
}

/** The command argv names; undefined when it names none (no words). Throws UsageError for an unknown one. */
export function resolveCommand(argv: string[], commands: CommandSpec[] = COMMANDS): Resolved | undefined {
  const w = words(argv, allStringOptions(commands))
  if (!w.length) return undefined
  const top = commands.find((c) => c.name === w[0])
  if (!top) throw new UsageError(`unknown command "${w[0]}"`)
  if (!top.subcommands) return { spec: top, consumed: 1 }
  const sub = w[1] === undefined ? undefined : top.subcommands.find((s) => s.name.split(' ')[1] === w[1])
  if (sub) return { spec: sub, consumed: 2 }
  if (w[1] !== undefined) {
    const e = new UsageError(`unknown ${top.name} subcommand "${w[1]}"`)
    e.help = commandHelp(top)
    throw e
  }
  const dflt = top.defaultSub ? top.subcommands.find((s) => s.name === `${top.name} ${top.defaultSub}`) : undefined
  return { spec: dflt ?? top, group: top, consumed: 1 }
}

/**
 * Parse argv for a resolved command. Positionals come back as the command's words (a default
 * subcommand's included) followed by its arguments, which are checked against `args`.
 */
export function parseFor(argv: string[], r: Resolved): ParsedArgs {
  const parsed = parseWith(argv, optionsOf(r.spec))
  // `--help` answers before the arguments are checked: `revka plugins info --help` needs no ID
  if (parsed.flags.help) return { positionals: r.spec.name.split(' '), flags: parsed.flags }
  const rest = parsed.positionals.slice(r.consumed)
  const required = r.spec.args?.required ?? []
  if (rest.length < required.length) throw new UsageError(`revka ${r.spec.name} needs ${required.slice(rest.length).join(' ')}`)
  const max = required.length + (r.spec.args?.optional ?? 0)
  if (rest.length > max) throw new UsageError(`unexpected argument "${rest[max]}" for revka ${r.spec.name}`)
  return { positionals: [...r.spec.name.split(' '), ...rest], flags: parsed.flags }
}

function optionLines(options: OptionTable): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`
    return [flag, o.help] as const
  })
  const width = Math.max(...rows.map(([f]) => f.length)) + 3
  return rows.map(([f, h]) => `  ${f.padEnd(width)}${h}`)
}

/** The help of one command or subcommand: usage, what it does, its subcommands or its options. */
export function commandHelp(spec: CommandSpec): string {
  const lines: string[] = []
  if (spec.subcommands) {
    lines.push(
      `Usage: revka ${spec.name} <${spec.subcommands.map((s) => s.name.split(' ')[1]).join('|')}> [options]`,
      '',
      spec.summary + (spec.defaultSub ? ` (default: ${spec.defaultSub})` : ''),
      '',
      'Subcommands:',
    )
    const rows = spec.subcommands.map((s) => [`${s.name.split(' ')[1]}${s.usage ? ` ${s.usage}` : ''}`, s.summary] as const)
    const width = Math.max(...rows.map(([u]) => u.length)) + 3
    for (const [u, s] of rows) lines.push(`  ${u.padEnd(width)}${s}`)
    lines.push('', `Each has its own help: revka ${spec.name} <subcommand> --help`)
  } else {
    lines.push(`Usage: revka ${spec.name}${spec.usage ? ` ${spec.usage}` : ''}`, '', spec.summary)
    if (spec.details) lines.push('', spec.details)
    lines.push('', 'Options:', ...optionLines(optionsOf(spec)))
  }
  return lines.join('\n') + '\n'
}

/** `revka --help`: every command in one screen. */
export function globalHelp(version: string, commands: CommandSpec[] = COMMANDS): string {
  const rows: Array<readonly [string, string]> = []
  for (const c of commands) {
    if (c.subcommands) for (const s of c.subcommands) rows.push([`revka ${s.name}${s.usage ? ` ${s.usage}` : ''}`, s.summary])
    else rows.push([`revka ${c.name}${c.usage ? ` ${c.usage}` : ''}`, c.summary])
  }
  const lines = [`revka ${version} — plugin-host agent gateway`, '', 'Usage:']
  for (const [u, s] of rows) lines.push(u.length > 42 ? `  ${u}\n  ${''.padEnd(44)}${s}` : `  ${u.padEnd(44)}${s}`)
  lines.push(
    '',
    'Every command has its own help: revka <command> [<subcommand>] --help',
    '',
    'Options:',
    '  -h, --help       this help',
    '  -v, --version    the version',
  )
  return lines.join('\n') + '\n'
}

/** argv → the command's parsed arguments, as main.ts runs it (tests call commands this way). */
export function parseCommandLine(argv: string[]): ParsedArgs {
  const r = resolveCommand(argv)
  if (!r) throw new UsageError('no command given')
  return parseFor(argv, r)
}
