/**
 * Issue 16 (CLI): every command and subcommand has its own `--help` naming its options (it used to
 * print one global text for all), arguments are parsed by util.parseArgs strictly, and a flag the
 * command does not know is exit 2 with that command's help — as an operator runs `revka`.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { cleanupTemp, REPO_ROOT, tempDir } from './helpers/kernel.js'
import { COMMANDS, optionsOf, type CommandSpec } from '../../kernel/cli/commands.js'
import { main } from '../../kernel/cli/main.js'

after(cleanupTemp)

const BIN = join(REPO_ROOT, 'bin', 'revka.js')

function revka(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const k of Object.keys(env)) if (k.startsWith('REVKA_') || k === 'NODE_OPTIONS') delete env[k]
  const cwd = tempDir('revka-cli-help-')
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: { ...env, REVKA_STATE_DIR: join(cwd, 'state') }, encoding: 'utf8', timeout: 20_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/**
 * main() in this process, its output captured: the help and usage-error paths never load a
 * command's implementation, so this is the CLI an operator runs minus the process start (the
 * spawned runs below cover that); 30 spawns would cost half a minute on a loaded machine
 */
async function inProcess(args: string[]) {
  const out: string[] = []
  const err: string[] = []
  const write = { out: process.stdout.write, err: process.stderr.write }
  process.stdout.write = ((s: string) => {
    out.push(String(s))
    return true
  }) as typeof process.stdout.write
  process.stderr.write = ((s: string) => {
    err.push(String(s))
    return true
  }) as typeof process.stderr.write
  try {
    const code = await main(args)
    return { code, stdout: out.join(''), stderr: err.join('') }
  } finally {
    process.stdout.write = write.out
    process.stderr.write = write.err
  }
}

/** every command and subcommand of the table, as words */
function everyCommand(): CommandSpec[] {
  const out: CommandSpec[] = []
  for (const c of COMMANDS) {
    out.push(c)
    if (c.subcommands) out.push(...c.subcommands)
  }
  return out
}

test('each command and subcommand has a --help of its own that names its options', async () => {
  const seen = new Map<string, string>()
  const global = revka(['--help'])
  assert.equal(global.code, 0)
  assert.equal((await inProcess(['--help'])).stdout, global.stdout)
  // as an operator runs it, in a real process
  const spawned = revka(['plugins', 'enable', '--help'])
  assert.equal(spawned.code, 0)
  assert.match(spawned.stdout, /^Usage: revka plugins enable ID/)
  for (const spec of everyCommand()) {
    const r = await inProcess([...spec.name.split(' '), '--help'])
    assert.equal(r.code, 0, `revka ${spec.name} --help: ${r.stderr}`)
    assert.match(r.stdout, new RegExp(`^Usage: revka ${spec.name}\\b`), `revka ${spec.name} --help starts with its own usage`)
    assert.notEqual(r.stdout, global.stdout)
    if (spec.subcommands) {
      for (const s of spec.subcommands) assert.ok(r.stdout.includes(`  ${s.name.split(' ')[1]}`), `revka ${spec.name} --help lists ${s.name}`)
    } else {
      for (const name of Object.keys(optionsOf(spec))) assert.ok(r.stdout.includes(`--${name}`), `revka ${spec.name} --help names --${name}`)
    }
    const twin = seen.get(r.stdout)
    assert.equal(twin, undefined, `revka ${spec.name} --help is the same text as revka ${twin} --help`)
    seen.set(r.stdout, spec.name)
  }
  // `revka help <command>` is the same as `<command> --help`
  assert.equal((await inProcess(['help', 'plugins', 'info'])).stdout, (await inProcess(['plugins', 'info', '--help'])).stdout)
  // an option of another command is not in this one's help
  assert.doesNotMatch((await inProcess(['plugins', 'info', '--help'])).stdout, /--port|--json/)
  assert.match((await inProcess(['service', 'logs', '--help'])).stdout, /-n, --lines N/)
})

test("an unknown flag is exit 2 with the message and that command's help, and nothing runs", async () => {
  const spawned = revka(['plugins', 'info', 'status', '--bogus'])
  assert.equal(spawned.code, 2)
  assert.match(spawned.stderr, /^revka: unknown option --bogus\n\nUsage: revka plugins info ID/)
  const cases: Array<[string[], RegExp, string]> = [
    [['plugins', 'info', 'status', '--bogus'], /unknown option --bogus/, 'Usage: revka plugins info ID'],
    [['plugins', 'list', '--port', '3'], /unknown option --port/, 'Usage: revka plugins list'],
    [['gateway', 'start', '--frob'], /unknown option --frob/, 'Usage: revka gateway start'],
    [['service', 'logs', '-z'], /unknown option -z/, 'Usage: revka service logs'],
    [['audit', 'verify', '--json=yes'], /--json is a switch and takes no value/, 'Usage: revka audit verify'],
    [['pair', '--code'], /--code needs a value \(C\)/, 'Usage: revka pair'],
    [['plugins', 'info'], /revka plugins info needs ID/, 'Usage: revka plugins info ID'],
    [['plugins', 'list', 'extra'], /unexpected argument "extra"/, 'Usage: revka plugins list'],
    [['plugins', 'frob'], /unknown plugins subcommand "frob"/, 'Usage: revka plugins <'],
    [['frobnicate'], /unknown command "frobnicate"/, 'Usage:\n  revka gateway start'],
  ]
  for (const [args, message, help] of cases) {
    const r = await inProcess(args)
    assert.equal(r.code, 2, `revka ${args.join(' ')} → ${r.code}: ${r.stderr}`)
    assert.match(r.stderr, message, `revka ${args.join(' ')}`)
    assert.ok(r.stderr.includes(help), `revka ${args.join(' ')} prints ${JSON.stringify(help)}; got ${r.stderr}`)
    assert.equal(r.stdout, '', 'nothing ran')
  }
})

test('options still parse as before: short forms, --key=value, flags before the command', () => {
  const r = revka(['--state-dir', tempDir('revka-cli-sd-'), 'plugins', 'list', '--json'])
  assert.equal(r.code, 0, r.stderr)
  assert.ok(Array.isArray(JSON.parse(r.stdout)))
  const bad = revka(['gateway', '-p', 'x'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /--port must be 0\.\.65535, got "x"/)
})
