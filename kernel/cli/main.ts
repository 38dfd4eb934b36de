/**
 * The `revka` command line. Exit codes: 0 ok, 1 runtime failure, 2 usage error.
 */
import { createRequire } from 'node:module'
import { parseArgs, UsageError } from './args.js'

// commands are imported when used: `revka --version` must not load Fastify and the kernel
const KERNEL_VERSION: string = createRequire(import.meta.url)('@revka/plugin-sdk/package.json').version
const gatewayCmd = () => import('./gateway-cmd.js')
const pluginsCmd = () => import('./plugins-cmd.js')
const remoteCmd = () => import('./remote-cmd.js')
const doctorCmd = () => import('./doctor-cmd.js')
const auditCmd = () => import('./audit-cmd.js')
const serviceCmd = () => import('./service-cmd.js')
const onboardCmd = () => import('./onboard-cmd.js')

export const HELP = `revka ${KERNEL_VERSION} — plugin-host agent gateway

Usage:
  revka gateway [start] [--host H] [--port N]   run the gateway (prints its address and pairing code)
  revka gateway restart [--host H] [--port N]   stop a running gateway, then run
  revka gateway get-paircode [--new] [--json]   show (or mint) the pairing code of a running gateway
  revka daemon [--host H] [--port N]            the gateway plus the plugins' daemon-mode services
  revka stop                                    ask a running gateway to shut down (loopback)
  revka service install|start|stop|restart|status|uninstall|logs [-n N] [-f]
                                                the daemon as a systemd user service (Linux)
  revka pair --code C [--url U] [--name N] [--json]
                                                exchange a pairing code for a token (shown once)
  revka plugins list [--json]                   discovered plugins, without importing them
  revka plugins info ID                         one plugin's manifest and state
  revka plugins enable|disable ID               edit revka.plugins.json
  revka onboard [--non-interactive --provider P --key K --model M --base-url U]
                                                connect a model provider: key, model, one test call
  revka doctor                                  check config, state dir, environment, CLI tools (exit 1 on an error)
  revka audit verify [--json]                   check the audit log's hash chain offline (exit 1 if broken)

Common options:
  --state-dir DIR     state folder (REVKA_STATE_DIR wins; default ~/.revka)
  --plugins FILE      operator plugin file (else REVKA_PLUGINS_FILE, else ./revka.plugins.json)
  --url URL           address of a running gateway (get-paircode, stop, pair)
  -h, --help          this help;  -v, --version  the version
`

export async function main(argv: string[]): Promise<number> {
  // everything this process creates (databases with their -wal/-shm, logs, journals, plugin files)
  // is private to this user, whatever the umask it was started with; files that matter also get
  // explicit modes, for embedders and tests that never run this
  process.umask(0o077)
  let args
  try {
    args = parseArgs(argv)
  } catch (e) {
    process.stderr.write(`revka: ${(e as Error).message}\n\n${HELP}`)
    return 2
  }
  if (args.flags.version) { process.stdout.write(`${KERNEL_VERSION}\n`); return 0 }
  const [cmd, sub] = args.positionals
  if (args.flags.help || cmd === 'help' || cmd === undefined) { process.stdout.write(HELP); return cmd === undefined && !args.flags.help ? 2 : 0 }
  try {
    switch (cmd) {
      case 'gateway':
      case 'start':
        if (sub === 'get-paircode') return await (await remoteCmd()).getPaircode(args)
        if (sub === 'restart') {
          await (await remoteCmd()).stopGateway(args).catch(() => 0)
          await new Promise((r) => setTimeout(r, 1000))
          return await (await gatewayCmd()).runGateway(args, 'gateway')
        }
        if (sub !== undefined && sub !== 'start') throw new UsageError(`unknown gateway subcommand "${sub}"`)
        return await (await gatewayCmd()).runGateway(args, 'gateway')
      case 'daemon':
        return await (await gatewayCmd()).runGateway(args, 'daemon')
      case 'stop':
        return await (await remoteCmd()).stopGateway(args)
      case 'service':
        return await (await serviceCmd()).serviceCommand(args)
      case 'pair':
        return await (await remoteCmd()).pair(args)
      case 'plugins':
        return await (await pluginsCmd()).pluginsCommand(args)
      case 'audit':
        return await (await auditCmd()).auditCommand(args)
      case 'doctor':
        return await (await doctorCmd()).doctor(args)
      case 'onboard':
        return await (await onboardCmd()).onboard(args)
      default:
        throw new UsageError(`unknown command "${cmd}"`)
    }
  } catch (e) {
    if (e instanceof UsageError) { process.stderr.write(`revka: ${e.message}\n\n${HELP}`); return 2 }
    process.stderr.write(`revka: ${(e as Error).message}\n`)
    return 1
  }
}
