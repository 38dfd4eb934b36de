/**
 * `revka service install|start|stop|restart|status|uninstall|logs [-n N] [-f]`: the daemon as a
 * systemd user service (Linux). systemctl and journalctl run through execFile (argv, no shell).
 * Without systemd every subcommand says so and exits 1.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { resolveStatePaths } from '../config/state-dir.js'
import { pluginsFilePath } from '../registry/plugins-file.js'
import { renderUnit, unitPath, UNIT_NAME } from './systemd-unit.js'
import { str, UsageError, type ParsedArgs } from './args.js'

export const SUBCOMMANDS = ['install', 'start', 'stop', 'restart', 'status', 'uninstall', 'logs'] as const

export interface ServiceDeps {
  env: NodeJS.ProcessEnv
  platform: NodeJS.Platform
  /** true when this machine runs systemd (`/run/systemd/system` exists) */
  hasSystemd: () => boolean
  /** run a command; resolves with its exit code (output goes to ours) */
  run: (cmd: string, args: string[]) => Promise<number>
  out: (s: string) => void
  err: (s: string) => void
  cwd: string
  node: string
  script: string
}

const REVKA_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'revka.js')

export function defaultDeps(): ServiceDeps {
  return {
    env: process.env,
    platform: process.platform,
    hasSystemd: () => existsSync('/run/systemd/system'),
    run: (cmd, args) =>
      new Promise((res) => {
        const child = spawn(cmd, args, { stdio: 'inherit', shell: false })
        child.on('error', () => res(127))
        child.on('close', (code) => res(code ?? 1))
      }),
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    cwd: process.cwd(),
    node: process.execPath,
    script: REVKA_SCRIPT,
  }
}

export async function serviceCommand(args: ParsedArgs, d: ServiceDeps = defaultDeps()): Promise<number> {
  const sub = args.positionals[1]
  if (!sub || !(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`revka service needs one of: ${SUBCOMMANDS.join(', ')}`)
  if (d.platform !== 'linux' || !d.hasSystemd()) {
    d.err(
      `revka service: systemd is not running on this machine (${d.platform === 'linux' ? 'no /run/systemd/system' : `platform ${d.platform}`}), so there is no user service to ${sub}.\n` +
        'Run `revka daemon` in the foreground or under your own supervisor instead.\n',
    )
    return 1
  }
  const unit = unitPath(d.env)
  const ctl = (...a: string[]) => d.run('systemctl', ['--user', ...a])
  switch (sub) {
    case 'install': {
      const stateDir = resolveStatePaths({ stateDir: str(args.flags, 'state-dir'), env: d.env }).stateDir
      const plugins = pluginsFilePath(str(args.flags, 'plugins'), d.env, d.cwd)
      mkdirSync(dirname(unit), { recursive: true, mode: 0o700 })
      writeFileSync(
        unit,
        renderUnit({
          node: d.node,
          script: d.script,
          stateDir,
          pluginsFile: existsSync(plugins) ? plugins : undefined,
          workingDirectory: d.cwd,
          path: d.env.PATH,
        }),
      )
      d.out(`wrote ${unit}\n  runs: revka daemon (state dir ${stateDir})\n`)
      if ((await ctl('daemon-reload')) !== 0) return 1
      if ((await ctl('enable', UNIT_NAME)) !== 0) return 1
      d.out(`enabled ${UNIT_NAME}; start it with: revka service start\n`)
      return 0
    }
    case 'uninstall': {
      await ctl('disable', '--now', UNIT_NAME)
      if (existsSync(unit)) {
        rmSync(unit)
        d.out(`removed ${unit}\n`)
      } else d.out(`no unit at ${unit}\n`)
      return (await ctl('daemon-reload')) === 0 ? 0 : 1
    }
    case 'start':
    case 'stop':
    case 'restart':
      if (!existsSync(unit)) {
        d.err(`revka service: ${unit} is not installed; run revka service install first\n`)
        return 1
      }
      return (await ctl(sub, UNIT_NAME)) === 0 ? 0 : 1
    case 'status':
      return (await ctl('status', '--no-pager', UNIT_NAME)) === 0 ? 0 : 1
    case 'logs': {
      const n = str(args.flags, 'lines') ?? '50'
      if (!/^\d{1,6}$/.test(n)) throw new UsageError(`-n must be a number of lines, got "${n}"`)
      return (await d.run('journalctl', ['--user', '-u', UNIT_NAME, '-n', n, '--no-pager', ...(args.flags.follow ? ['-f'] : [])])) === 0 ? 0 : 1
    }
  }
  return 2
}
