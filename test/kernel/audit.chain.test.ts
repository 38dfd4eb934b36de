/**
 * The audit log's chain (issue 21, contract DOMAIN.md §18): tampering with a line — an edit, a
 * deletion, a swap — makes verify fail at that very line, through the kernel service and through
 * `revka audit verify` offline; the chain continues across rotated files; a torn last line is cut
 * at start and the chain resumes after the last whole line; HMAC signatures on and off.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AuditLog } from '../../kernel/audit/audit-log.js'
import { auditSettings } from '../../kernel/audit/settings.js'
import { GENESIS_HASH } from '../../kernel/audit/chain.js'
import { cleanupTemp, REPO_ROOT, tempDir } from './helpers/kernel.js'

after(cleanupTemp)

const BIN = join(REPO_ROOT, 'bin', 'revka.js')
const KEY = 'ab'.repeat(32)
const quiet = { warn() {}, error() {} } as any

function open(state: string, security: object = {}, env: NodeJS.ProcessEnv = {}) {
  return new AuditLog({ kernelDir: join(state, 'kernel'), settings: auditSettings({ audit: security }, env), clock: Date.now, log: quiet })
}
const file = (state: string) => join(state, 'kernel', 'audit', 'audit.log')
const lines = (state: string) => readFileSync(file(state), 'utf8').trim().split('\n')
const write = (state: string, ls: string[]) => writeFileSync(file(state), ls.join('\n') + '\n')

function fill(log: AuditLog, n: number): void {
  for (let i = 0; i < n; i++)
    assert.ok(log.record({ event_type: 'config_change', action: { command: `change ${i}` } }, { channel: 'test', user_id: null, username: null }))
}

function cliVerify(state: string, env: Record<string, string> = {}) {
  const clean: NodeJS.ProcessEnv = { ...process.env }
  for (const k of Object.keys(clean)) if (k.startsWith('REVKA_') || k === 'NODE_OPTIONS') delete clean[k]
  const r = spawnSync(process.execPath, [BIN, 'audit', 'verify', '--json', '--state-dir', state], {
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  })
  return { code: r.status, verdict: r.stdout.trim() ? JSON.parse(r.stdout) : null, stderr: r.stderr }
}

test('a fresh chain verifies: contiguous sequence from 0, genesis prev_hash, each prev_hash the last entry_hash', async () => {
  const state = tempDir('revka-audit-')
  const log = open(state)
  fill(log, 5)
  const es = lines(state).map((l) => JSON.parse(l))
  assert.deepEqual(
    es.map((e) => e.sequence),
    [0, 1, 2, 3, 4],
  )
  assert.equal(es[0].prev_hash, GENESIS_HASH)
  for (let i = 1; i < es.length; i++) assert.equal(es[i].prev_hash, es[i - 1].entry_hash)
  assert.deepEqual(Object.keys(es[0]), ['timestamp', 'event_id', 'event_type', 'actor', 'action', 'result', 'security', 'sequence', 'prev_hash', 'entry_hash'])
  assert.equal(es[0].signature, undefined, 'no key, no signature')
  assert.deepEqual(await log.verify(), { verified: true, entry_count: 5, files: 1, signed_entries: 0 })
  assert.equal(cliVerify(state).code, 0)
  log.close()
})

for (const [what, tamper, message] of [
  [
    'an edited line',
    (ls: string[]) => {
      ls[2] = ls[2].replace('change 2', 'change X')
    },
    /entry_hash mismatch .*at line 3 of audit\.log/,
  ],
  [
    'a deleted line',
    (ls: string[]) => {
      ls.splice(2, 1)
    },
    /sequence gap \(expected 2, found 3\) at line 3 of audit\.log/,
  ],
  [
    'two swapped lines',
    (ls: string[]) => {
      ;[ls[2], ls[3]] = [ls[3], ls[2]]
    },
    /sequence gap \(expected 2, found 3\) at line 3 of audit\.log/,
  ],
] as const) {
  test(`${what} fails verify at that line — the service and revka audit verify agree`, async () => {
    const state = tempDir('revka-audit-')
    const log = open(state)
    fill(log, 6)
    const ls = lines(state)
    tamper(ls)
    write(state, ls)
    const v = await log.verify()
    assert.equal(v.verified, false)
    assert.match((v as any).error, message)
    assert.equal((v as any).line, 3)
    const cli = cliVerify(state)
    assert.equal(cli.code, 1, cli.stderr)
    assert.equal(cli.verdict.line, 3)
    assert.match(cli.verdict.error, message)
    log.close()
  })
}

test('rotation: the chain continues across files, verify walks them all, and a break in a rotated file is found there', async () => {
  const state = tempDir('revka-audit-')
  // 2 KiB files: three entries each
  const log = open(state, { max_size_mb: 2 / 1024, keep: 9 })
  fill(log, 12)
  const names = readdirSync(join(state, 'kernel', 'audit'))
    .filter((n) => n.startsWith('audit.log'))
    .sort()
  assert.ok(names.length >= 3, `rotated into ${names.join(', ')}`)
  const v = await log.verify()
  assert.equal(v.verified, true)
  assert.equal((v as any).entry_count, 12)
  // the current file's first entry follows the newest rotated file's last
  const cur = JSON.parse(lines(state)[0])
  const prevFile = readFileSync(file(state) + '.1.log', 'utf8')
    .trim()
    .split('\n')
  const last = JSON.parse(prevFile.at(-1)!)
  assert.equal(cur.prev_hash, last.entry_hash)
  assert.equal(cur.sequence, last.sequence + 1)
  // a rewritten line in a rotated file: found, in that file
  writeFileSync(file(state) + '.1.log', prevFile.map((l, i) => (i === 0 ? l.replace('"change', '"CHANGE') : l)).join('\n') + '\n')
  const broken = await log.verify()
  assert.equal(broken.verified, false)
  assert.equal((broken as any).file, 'audit.log.1.log')
  assert.equal((broken as any).line, 1)
  assert.equal(cliVerify(state).verdict.file, 'audit.log.1.log')
  log.close()
})

test('a torn last line is cut at start; the chain resumes after the last whole line and says so', async () => {
  const state = tempDir('revka-audit-')
  let log = open(state)
  fill(log, 3)
  log.close()
  const fragment = '{"timestamp":"2026-12-07T00:00:00.000Z","event_id":"x","event_ty'
  appendFileSync(file(state), fragment)
  // offline, before any restart: the fragment is a cut-short write, not a broken chain
  const offline = cliVerify(state)
  assert.equal(offline.code, 0, offline.stderr)
  assert.equal(offline.verdict.torn_tail_bytes, Buffer.byteLength(fragment))
  log = open(state)
  const es = lines(state).map((l) => JSON.parse(l))
  assert.ok(!readFileSync(file(state), 'utf8').includes(fragment), 'the fragment is gone')
  assert.equal(es.length, 4)
  assert.equal(es[3].sequence, 3)
  assert.equal(es[3].prev_hash, es[2].entry_hash)
  assert.match(es[3].action.command, new RegExp(`torn last line of ${Buffer.byteLength(fragment)} bytes`))
  fill(log, 1)
  assert.deepEqual(await log.verify(), { verified: true, entry_count: 5, files: 1, signed_entries: 0 })
  log.close()
})

test('HMAC: with REVKA_AUDIT_SIGNING_KEY every entry is signed and checked; a forged chain without the key fails', async () => {
  const state = tempDir('revka-audit-')
  const env = { REVKA_AUDIT_SIGNING_KEY: KEY }
  const log = open(state, {}, env)
  fill(log, 3)
  const es = lines(state).map((l) => JSON.parse(l))
  assert.ok(es.every((e) => /^[0-9a-f]{64}$/.test(e.signature)))
  assert.deepEqual(await log.verify(), { verified: true, entry_count: 3, files: 1, signed_entries: 3 })
  assert.equal(cliVerify(state, env).code, 0)
  // someone without the key rewrites entry 1 and recomputes its hash chain: the signature gives it away
  const { entryHash } = await import('../../kernel/audit/chain.js')
  es[1].action.command = 'forged'
  es[1].entry_hash = entryHash(es[1].prev_hash, es[1])
  es[2].prev_hash = es[1].entry_hash
  es[2].entry_hash = entryHash(es[2].prev_hash, es[2])
  write(
    state,
    es.map((e) => JSON.stringify(e)),
  )
  const v = await log.verify()
  assert.equal(v.verified, false)
  assert.match((v as any).error, /signature verification failed .*at line 2/)
  const cli = cliVerify(state, env)
  assert.equal(cli.code, 1)
  assert.equal(cli.verdict.line, 2)
  // the same forgery with the signatures stripped is still caught after a signed entry
  write(
    state,
    es.map((e, i) => JSON.stringify(i === 0 ? e : { ...e, signature: undefined })),
  )
  assert.match(((await log.verify()) as any).error, /unsigned entry after signed ones .*at line 2/)
  log.close()
})

test('a malformed key or sign_events without a key refuses, naming the fix', () => {
  assert.throws(() => auditSettings({}, { REVKA_AUDIT_SIGNING_KEY: 'short' }), /REVKA_AUDIT_SIGNING_KEY must be 64 hex/)
  assert.throws(() => auditSettings({ audit: { sign_events: true } }, {}), /sign_events = true needs REVKA_AUDIT_SIGNING_KEY/)
  assert.equal(auditSettings({ audit: { sign_events: false } }, { REVKA_AUDIT_SIGNING_KEY: KEY }).signingKey, null)
})

test('a second process (revka plugins disable) appends while this one holds the log: one contiguous chain', async () => {
  const state = tempDir('revka-audit-')
  const log = open(state)
  fill(log, 2)
  const clean: NodeJS.ProcessEnv = { ...process.env }
  for (const k of Object.keys(clean)) if (k.startsWith('REVKA_') || k === 'NODE_OPTIONS') delete clean[k]
  const pluginsFile = join(state, 'revka.plugins.json')
  writeFileSync(pluginsFile, '{"plugins":{}}')
  const r = spawnSync(process.execPath, [BIN, 'plugins', 'disable', 'cost', '--plugins', pluginsFile, '--state-dir', state], {
    env: clean,
    encoding: 'utf8',
    timeout: 20_000,
  })
  assert.equal(r.status, 0, r.stderr)
  // this writer did not see that append happen: it must continue after it, not fork the chain
  fill(log, 1)
  const es = lines(state).map((l) => JSON.parse(l))
  assert.deepEqual(
    es.map((e) => e.sequence),
    [0, 1, 2, 3],
  )
  assert.equal(es[2].actor.channel, 'cli')
  assert.equal(es[2].action.command, 'plugin.disable cost')
  assert.equal(es[3].prev_hash, es[2].entry_hash)
  assert.equal((await log.verify()).verified, true)
  log.close()
})
