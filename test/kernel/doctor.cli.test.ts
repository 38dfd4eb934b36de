/**
 * `revka doctor` (issue 21): the same findings as `GET /api/doctor`'s offline part, one per line,
 * exit 1 when any is an error (a config the start would refuse, a loose file mode) and 0 with
 * warnings only; colours only on a terminal and never with NO_COLOR. The CLI tool probe gives up
 * on a tool that hangs after its timeout, and never runs through a shell.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { useColour } from '../../kernel/cli/doctor-cmd.js'
import { CliToolProbe, findOnPath } from '../../kernel/ops/cli-tools.js'
import { ROOT, removeDir, tempStateDir } from '../auth/support.js'

const BIN = join(ROOT, 'bin', 'revka.js')
const doctor = (stateDir: string, env: Record<string, string> = {}) =>
  // an empty PATH: the tool probe is tested below, here it would only add the host's tools' start-up
  spawnSync(process.execPath, [BIN, 'doctor'], {
    env: { ...process.env, PATH: '/nonexistent', REVKA_STATE_DIR: stateDir, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  })

test('a healthy state dir: exit 0, one finding per line, a summary, no colour codes in a pipe', () => {
  const dir = tempStateDir()
  try {
    writeFileSync(join(dir, 'config.toml'), '[gateway]\nport = 0\n', { mode: 0o600 })
    const r = doctor(dir)
    assert.equal(r.status, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /^ok +config +config\.toml is valid/m)
    assert.match(r.stdout, /^ok +state +the state dir is writable$/m)
    assert.match(r.stdout, /^ok +state +\d+ MB free/m)
    assert.match(r.stdout, /^warn +cli-tools +no known CLI tool found on PATH$/m)
    assert.match(r.stdout, /^\d+ ok, \d+ warnings, 0 errors$/m)
    assert.ok(!r.stdout.includes('\x1b['), 'no escape codes when stdout is not a terminal')
  } finally {
    removeDir(dir)
  }
})

test('a config the start would refuse and a loose config file are errors: exit 1, each named', () => {
  const dir = tempStateDir()
  try {
    writeFileSync(join(dir, 'config.toml'), '[gateway]\nport = "eighty"\n')
    chmodSync(join(dir, 'config.toml'), 0o644)
    const r = doctor(dir, { NO_COLOR: '1' })
    assert.equal(r.status, 1, r.stdout)
    assert.match(r.stdout, /^error +config +gateway\.port must be an integer/m)
    assert.match(r.stdout, /^error +state +REVKA_ERR_STATE_FILE_MODE: .*config\.toml has mode 0644/m)
    assert.match(r.stdout, /2 errors$/m)
    assert.ok(!existsSync(join(dir, `.doctor-probe-${r.pid}`)), 'the write probe is removed')
  } finally {
    removeDir(dir)
  }
})

test('colours: only on a terminal, never with NO_COLOR or TERM=dumb', () => {
  assert.equal(useColour({ isTTY: true }, {}), true)
  assert.equal(useColour({ isTTY: true }, { NO_COLOR: '1' }), false)
  assert.equal(useColour({ isTTY: true }, { TERM: 'dumb' }), false)
  assert.equal(useColour({ isTTY: false }, {}), false)
  assert.equal(useColour({}, {}), false)
})

test('the CLI tool probe: a hanging tool gives no version after its timeout; shell syntax in PATH is never run', async () => {
  const bin = mkdtempSync(join(tmpdir(), 'revka-probe-'))
  try {
    writeFileSync(join(bin, 'docker'), '#!/bin/sh\nexec /bin/sleep 30\n', { mode: 0o755 })
    writeFileSync(join(bin, 'git'), '#!/bin/sh\necho "git version 1.2.3"\n', { mode: 0o755 })
    const marker = join(bin, 'pwned')
    const probe = new CliToolProbe({ PATH: `$(touch ${marker}):relative/dir:${bin}` }, 300)
    const t0 = Date.now()
    const tools = await probe.list()
    const took = Date.now() - t0
    assert.ok(took >= 250 && took < 5000, `the hanging probe was cut at its timeout (${took} ms)`)
    assert.deepEqual(
      tools.map((t) => [t.name, t.version]),
      [
        ['git', 'git version 1.2.3'],
        ['docker', null],
      ],
    )
    assert.equal(existsSync(marker), false)
    assert.equal(findOnPath('git', 'relative/dir'), null, 'relative PATH entries are skipped')
    assert.equal(await probe.list(), await probe.list(), 'one probe per process')
  } finally {
    rmSync(bin, { recursive: true, force: true })
  }
})
