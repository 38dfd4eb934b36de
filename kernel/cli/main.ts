/**
 * The `revka` command line. Exit codes: 0 ok, 1 runtime failure, 2 usage error (with the help of
 * the command that was meant). The commands, their options and their help: kernel/cli/commands.ts.
 */
import { createRequire } from 'node:module'
import { parseWith, UsageError } from './args.js'
import { commandHelp, globalHelp, parseFor, resolveCommand, type Resolved } from './help.js'

// the gateway package's version (the plugin API version is the SDK's PLUGIN_API_VERSION)
const KERNEL_VERSION: string = createRequire(import.meta.url)('../../package.json').version

export const HELP = globalHelp(KERNEL_VERSION)

/** options before (or without) a command */
const TOP_LEVEL = {
  help: { type: 'boolean' as const, short: 'h', help: 'this help' },
  version: { type: 'boolean' as const, short: 'v', help: 'the version' },
}

export async function main(argv: string[]): Promise<number> {
  // everything this process creates (databases with their -wal/-shm, logs, journals, plugin files)
  // is private to this user, whatever the umask it was started with; files that matter also get
  // explicit modes, for embedders and tests that never run this
  process.umask(0o077)
  // `revka help plugins info` is `revka plugins info --help`
  if (argv[0] === 'help') argv = [...argv.slice(1), '--help']
  let resolved: Resolved | undefined
  try {
    resolved = resolveCommand(argv)
    if (!resolved) {
      const top = parseWith(argv, TOP_LEVEL)
      if (top.flags.version) {
        process.stdout.write(`${KERNEL_VERSION}\n`)
        return 0
      }
      process.stdout.write(HELP)
      return top.flags.help ? 0 : 2
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    process.stderr.write(`revka: ${e.message}\n\n${e.help ?? HELP}`)
    return 2
  }
  const r = resolved
  // a group named alone (`revka plugins --help`) shows its subcommands, even when it has a default
  const help = commandHelp(r.group ?? r.spec)
  try {
    const args = parseFor(argv, r)
    if (args.flags.help) {
      process.stdout.write(help)
      return 0
    }
    if (!r.spec.run) throw new UsageError(`revka ${r.spec.name} needs a subcommand`)
    return await r.spec.run(args)
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`revka: ${e.message}\n\n${e.help ?? help}`)
      return 2
    }
    process.stderr.write(`revka: ${(e as Error).message}\n`)
    return 1
  }
}
