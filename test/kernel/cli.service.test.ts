/**
 * `revka service`: the systemd user unit it writes (never a live systemd: systemctl/journalctl are
 * a recording stub), and the clear exit 1 on a machine without systemd (this one has none).
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderUnit, systemdQuote, unitPath } from '../../kernel/cli/systemd-unit.js'
import { serviceCommand, SUBCOMMANDS, type ServiceDeps } from '../../kernel/cli/service-cmd.js'
import { parseCommandLine as parseArgs } from '../../kernel/cli/help.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const tmp = mkdtempSync(join(tmpdir(), 'revka-service-'))
after(() => rmSync(tmp, { recursive: true, force: true }))

function stub(over: Partial<ServiceDeps> = {}) {
  const calls: string[][] = []
  const out: string[] = []
  const err: string[] = []
  const deps: ServiceDeps = {
    env: { HOME: join(tmp, 'home'), XDG_CONFIG_HOME: join(tmp, 'xdg'), REVKA_STATE_DIR: join(tmp, 'my state %h $HOME'), PATH: '/usr/local/bin:/usr/bin' },
    platform: 'linux',
    hasSystemd: () => true,
    run: async (cmd, args) => {
      calls.push([cmd, ...args])
      return 0
    },
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    cwd: tmp,
    node: '/opt/node/bin/node',
    script: '/opt/revka/bin/revka.js',
    ...over,
  }
  return { deps, calls, out, err }
}

test('the generated unit runs `revka daemon` with the current state dir, restart policy and quoted values', () => {
  const unit = renderUnit({
    node: '/opt/node bin/node',
    script: '/srv/re"vka/bin/revka.js',
    stateDir: '/home/u/state 100%$X',
    pluginsFile: '/home/u/revka.plugins.json',
    workingDirectory: '/home/u',
    path: '/usr/bin',
  })
  const lines = unit.split('\n')
  assert.ok(lines.includes('ExecStart="/opt/node bin/node" --max-semi-space-size=4 "/srv/re\\"vka/bin/revka.js" daemon'))
  assert.ok(lines.includes('Environment="REVKA_STATE_DIR=/home/u/state 100%%$$X"'), 'a % specifier and $ expansion are escaped')
  assert.ok(lines.includes('Environment="REVKA_PLUGINS_FILE=/home/u/revka.plugins.json"'))
  assert.ok(lines.includes('Environment="PATH=/usr/bin"'))
  for (const l of [
    'Restart=always',
    'RestartSec=3',
    'Environment=HOME=%h',
    'PassEnvironment=DISPLAY XDG_RUNTIME_DIR',
    'WantedBy=default.target',
    'Type=simple',
  ])
    assert.ok(lines.includes(l), l)
  assert.ok(/^LimitNOFILE=\d+$/m.test(unit))
  assert.throws(() => systemdQuote('a\nExecStartPre=/bin/rm -rf ~'), /REVKA_ERR_SERVICE_UNIT/)
  assert.equal(unitPath({ XDG_CONFIG_HOME: '/x' }), '/x/systemd/user/revka.service')
  assert.equal(unitPath({ HOME: '/h' }), '/h/.config/systemd/user/revka.service')
})

test('install writes the unit where it says, reloads and enables; start/stop/status/logs/uninstall call systemctl and journalctl', async () => {
  const s = stub()
  assert.equal(await serviceCommand(parseArgs(['service', 'install']), s.deps), 0)
  const path = join(tmp, 'xdg', 'systemd', 'user', 'revka.service')
  assert.match(s.out.join(''), new RegExp(`wrote ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
  const unit = readFileSync(path, 'utf8')
  assert.match(unit, /^ExecStart="\/opt\/node\/bin\/node" --max-semi-space-size=4 "\/opt\/revka\/bin\/revka.js" daemon$/m)
  assert.ok(unit.includes(`Environment="REVKA_STATE_DIR=${join(tmp, 'my state %%h $$HOME')}"`))
  assert.deepEqual(s.calls, [
    ['systemctl', '--user', 'daemon-reload'],
    ['systemctl', '--user', 'enable', 'revka.service'],
  ])
  s.calls.length = 0
  for (const sub of ['start', 'stop', 'restart', 'status']) assert.equal(await serviceCommand(parseArgs(['service', sub]), s.deps), 0)
  assert.equal(await serviceCommand(parseArgs(['service', 'logs', '-n', '20', '-f']), s.deps), 0)
  assert.deepEqual(s.calls, [
    ['systemctl', '--user', 'start', 'revka.service'],
    ['systemctl', '--user', 'stop', 'revka.service'],
    ['systemctl', '--user', 'restart', 'revka.service'],
    ['systemctl', '--user', 'status', '--no-pager', 'revka.service'],
    ['journalctl', '--user', '-u', 'revka.service', '-n', '20', '--no-pager', '-f'],
  ])
  await assert.rejects(serviceCommand(parseArgs(['service', 'logs', '-n', '5;rm']), s.deps), /-n must be a number/)
  const failing = stub({ run: async () => 3 })
  assert.equal(await serviceCommand(parseArgs(['service', 'status']), failing.deps), 1)
  assert.equal(await serviceCommand(parseArgs(['service', 'uninstall']), s.deps), 0)
  assert.ok(!existsSync(path))
  assert.equal(await serviceCommand(parseArgs(['service', 'start']), s.deps), 1, 'not installed')
})

test('without systemd every subcommand explains and exits 1; a real `revka service` here does the same', async () => {
  for (const sub of SUBCOMMANDS) {
    const s = stub({ hasSystemd: () => false })
    assert.equal(await serviceCommand(parseArgs(['service', sub]), s.deps), 1)
    assert.match(s.err.join(''), /systemd is not running on this machine/)
    assert.deepEqual(s.calls, [])
  }
  const mac = stub({ platform: 'darwin' })
  assert.equal(await serviceCommand(parseArgs(['service', 'install']), mac.deps), 1)
  assert.match(mac.err.join(''), /platform darwin/)
  if (!existsSync('/run/systemd/system')) {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'revka.js'), 'service', 'status'], {
      encoding: 'utf8',
      env: { ...process.env, REVKA_STATE_DIR: join(tmp, 's') },
    })
    assert.equal(r.status, 1)
    assert.match(r.stderr, /systemd is not running on this machine[\s\S]*revka daemon/)
  }
  const bad = spawnSync(process.execPath, [join(ROOT, 'bin', 'revka.js'), 'service', 'explode'], {
    encoding: 'utf8',
    env: { ...process.env, REVKA_STATE_DIR: join(tmp, 's') },
  })
  assert.equal(bad.status, 2)
})
