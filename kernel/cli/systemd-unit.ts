/**
 * The systemd *user* unit `revka service install` writes (GATEWAY.md §8): `revka daemon` with the
 * state dir and plugins file the installing shell resolved, so the service runs the same gateway
 * the user just ran by hand. Values are quoted for systemd (`"`, `\`, `%` specifiers and `$`
 * expansion escaped), so a path with spaces or a `%` cannot change the unit's meaning.
 */
import { homedir } from 'node:os'
import { join } from 'node:path'

export const UNIT_NAME = 'revka.service'

export interface UnitInput {
  /** node's executable and the revka entry script */
  node: string
  script: string
  stateDir: string
  /** the operator plugins file, when one exists (else the daemon uses its defaults) */
  pluginsFile?: string
  /** where the daemon starts (relative paths in config resolve as they did by hand) */
  workingDirectory: string
  /** the PATH the service sees (the installing shell's, so CLI tools are found) */
  path?: string
}

/** a value inside a double-quoted systemd word */
export function systemdQuote(value: string): string {
  if (/[\0\n\r]/.test(value)) throw new Error(`REVKA_ERR_SERVICE_UNIT: a unit value cannot hold a newline or NUL: ${JSON.stringify(value)}`)
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`
}

export function renderUnit(u: UnitInput): string {
  const env = [['REVKA_STATE_DIR', u.stateDir], ...(u.pluginsFile ? [['REVKA_PLUGINS_FILE', u.pluginsFile]] : []), ...(u.path ? [['PATH', u.path]] : [])]
  return [
    '# Written by `revka service install`; `revka service uninstall` removes it.',
    '[Unit]',
    'Description=Revka agent gateway (daemon: gateway, cron scheduler, heartbeat)',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    // the young-generation cap bin/revka.js explains (SEMI_SPACE_FLAG), given here on the command
    // line so Node 20, which cannot re-exec itself with it, gets it too
    `ExecStart=${systemdQuote(u.node)} --max-semi-space-size=4 ${systemdQuote(u.script)} daemon`,
    `WorkingDirectory=${systemdQuote(u.workingDirectory)}`,
    'Environment=HOME=%h',
    ...env.map(([k, v]) => `Environment=${systemdQuote(`${k}=${v}`)}`),
    'PassEnvironment=DISPLAY XDG_RUNTIME_DIR',
    'Restart=always',
    'RestartSec=3',
    'LimitNOFILE=65536',
    // the daemon drains on SIGTERM; give it its drain time before SIGKILL
    'TimeoutStopSec=30',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n')
}

/** `$XDG_CONFIG_HOME/systemd/user/revka.service` (default `~/.config/...`) */
export function unitPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config')
  return join(base, 'systemd', 'user', UNIT_NAME)
}
