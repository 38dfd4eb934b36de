import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bootTerminal, isolateHome, openTerm, outputLine } from './test-helpers.js'

const home = isolateHome()
const ALLOWED = new Set(['PATH', 'LANG', 'USER', 'LOGNAME', 'SHELL', 'TZ', 'HOME', 'TERM', 'COLORTERM'])
/** with `mcp_session` + `mcp_token`, and only then (contract §3.2 MCP wiring) */
const MCP_VARS = ['REVKA_MCP_URL', 'REVKA_MCP_SESSION', 'REVKA_MCP_TOKEN']

/** run `cmd` in the terminal, prefixing each output line with `tag:`; returns those lines */
async function lines(t: Awaited<ReturnType<typeof openTerm>>, cmd: string, tag: string): Promise<string[]> {
  const from = t.output.length
  t.send(`${cmd} | sed 's/^/${tag}:/'; echo ${tag}-END-$((20+1))\r`)
  await t.waitFor(new RegExp(`${tag}-END-21`), { from })
  // the shell's line-editor escapes (bracketed paste on/off) and bare \r share lines with the output
  const plain = t.output.slice(from).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
  // the first line may carry the shell's prompt in front (see outputLine)
  const re = new RegExp(`^(?:.*[#$%>] )?${tag}:(.*)$`)
  return plain
    .split(/\r\n|\n|\r/)
    .map((l) => re.exec(l)?.[1])
    .filter((l): l is string => l !== undefined)
}

test("the PTY gets exactly the allow-listed environment, never the gateway's REVKA_* secrets", async () => {
  const planted = {
    REVKA_GATEWAY_ADMIN_TOKEN: 'admin-token-must-not-leak',
    REVKA_TELEGRAM_SECRET: 'webhook-secret-must-not-leak',
    AWS_SECRET_ACCESS_KEY: 'cloud-secret-must-not-leak',
    LC_ALL: 'C.UTF-8',
  }
  const saved = Object.fromEntries(Object.keys(planted).map((key) => [key, process.env[key]]))
  Object.assign(process.env, planted)
  // the terminal reads the gateway's env as the kernel was given it (api.gateway.env)
  const k = await bootTerminal({ env: { TZ: 'Europe/Paris', REVKA_WEBHOOK_SECRET: 'kernel-env-secret-must-not-leak' } })
  try {
    const t = await openTerm(k)
    // the environment the shell was exec'd with, before any profile script ran
    const initial = await lines(t, "tr '\\0' '\\n' < /proc/$$/environ", 'INIT')
    const names = initial.map((l) => l.slice(0, l.indexOf('=')))
    for (const n of names) {
      // node-pty itself sets PWD to the cwd it was given
      assert.ok(ALLOWED.has(n) || /^LC_[A-Z_]+$/.test(n) || n === 'PWD', `unexpected variable ${n} in the PTY environment`)
    }
    const env = Object.fromEntries(initial.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
    assert.equal(env.TERM, 'xterm-256color')
    assert.equal(env.COLORTERM, 'truecolor')
    assert.equal(env.HOME, home)
    assert.equal(env.PATH, process.env.PATH)
    assert.equal(env.LC_ALL, 'C.UTF-8')
    assert.equal(env.TZ, 'Europe/Paris')
    assert.equal(env.PWD, home, 'the default cwd is HOME')

    // and nothing secret appears later either (what the login shell exports on top)
    const after = await lines(t, 'env', 'ENV')
    assert.ok(after.length > 3, 'env printed something')
    assert.equal(after.filter((l) => /^(REVKA_|AWS_)/.test(l)).length, 0, after.join('\n'))
    assert.ok(!t.output.includes('must-not-leak'))
    t.ws.close()
    await t.closed
  } finally {
    await k.stop()
    for (const [key, v] of Object.entries(saved))
      if (v === undefined) delete process.env[key]
      else process.env[key] = v
  }
})

test('with mcp_session + mcp_token the only additions are REVKA_MCP_URL/SESSION/TOKEN, and HOME is a temp dir', async () => {
  // the discovery file the mcp plugin writes for its in-process server (this process's)
  const url = 'http://127.0.0.1:45999/mcp'
  mkdirSync(join(home, '.revka'), { recursive: true })
  writeFileSync(join(home, '.revka', 'mcp.json'), JSON.stringify({ url, pid: process.pid, started_at: new Date().toISOString() }))
  const savedSecret = process.env.REVKA_GATEWAY_ADMIN_TOKEN
  process.env.REVKA_GATEWAY_ADMIN_TOKEN = 'admin-token-must-not-leak'
  const k = await bootTerminal()
  try {
    const t = await openTerm(k, 'mcp_session=sess_01&mcp_token=tok-0123456789abcdef')
    const initial = await lines(t, "tr '\\0' '\\n' < /proc/$$/environ", 'INIT')
    const env = Object.fromEntries(initial.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
    for (const n of Object.keys(env)) {
      assert.ok(ALLOWED.has(n) || MCP_VARS.includes(n) || /^LC_[A-Z_]+$/.test(n) || n === 'PWD', `unexpected variable ${n} in the PTY environment`)
    }
    assert.deepEqual([env.REVKA_MCP_URL, env.REVKA_MCP_SESSION, env.REVKA_MCP_TOKEN], [url, 'sess_01', 'tok-0123456789abcdef'])
    assert.notEqual(env.HOME, home)
    assert.ok(env.HOME.startsWith(join(tmpdir(), 'revka-term-mcp-')), env.HOME)
    assert.ok(existsSync(env.HOME))
    assert.equal(env.PWD, home, 'the default cwd stays the real home')

    const after = await lines(t, 'env', 'ENV')
    assert.deepEqual(
      after
        .filter((l) => /^(REVKA_|AWS_)/.test(l))
        .map((l) => l.slice(0, l.indexOf('=')))
        .sort(),
      [...MCP_VARS].sort(),
    )
    assert.ok(!t.output.includes('must-not-leak'))
    t.ws.close()
    await t.closed
  } finally {
    await k.stop()
    rmSync(join(home, '.revka'), { recursive: true, force: true })
    if (savedSecret === undefined) delete process.env.REVKA_GATEWAY_ADMIN_TOKEN
    else process.env.REVKA_GATEWAY_ADMIN_TOKEN = savedSecret
  }
})

test('cwd: tilde-expanded and must be an existing directory, else a red error line and close', async () => {
  const k = await bootTerminal()
  const dir = mkdtempSync(join(tmpdir(), 'revka-term-cwd-'))
  mkdirSync(join(home, 'project'), { recursive: true })
  try {
    const t = await openTerm(k, `cwd=${encodeURIComponent(dir)}`)
    t.send('pwd\r')
    await t.waitFor(outputLine(realpathSync(dir)))
    t.ws.close()

    const tilde = await openTerm(k, `cwd=${encodeURIComponent('~/project')}`)
    tilde.send('pwd\r')
    await tilde.waitFor(outputLine(join(home, 'project')))
    tilde.ws.close()

    for (const bad of ['/definitely/not/a/dir', join(dir, 'file.txt'), 'relative/path']) {
      writeFileSync(join(dir, 'file.txt'), 'x')
      const b = await openTerm(k, `cwd=${encodeURIComponent(bad)}`)
      const closed = await b.closed
      assert.equal(b.output, `\x1b[31mError: cwd is not an existing directory: ${bad}\x1b[0m\r\n`)
      assert.equal(closed.code, 1000)
    }
    await Promise.all([t.closed, tilde.closed])
  } finally {
    await k.stop()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('tool=: an allow-listed CLI found on PATH runs instead of the shell; others get an error line', async () => {
  const bin = mkdtempSync(join(tmpdir(), 'revka-term-bin-'))
  writeFileSync(join(bin, 'codex'), '#!/bin/sh\necho "fake codex in $(pwd) term=$TERM"\n')
  chmodSync(join(bin, 'codex'), 0o755)
  const savedPath = process.env.PATH
  process.env.PATH = `${bin}:/usr/bin:/bin`
  const k = await bootTerminal()
  try {
    const t = await openTerm(k, `tool=codex&cwd=${encodeURIComponent(bin)}`)
    await t.waitFor(new RegExp(`fake codex in ${realpathSync(bin)} term=xterm-256color`))
    assert.deepEqual(await t.closed, { code: 1000, reason: 'process exited' })

    const missing = await openTerm(k, 'tool=gemini')
    await missing.closed
    assert.equal(missing.output, '\x1b[31mError: gemini was not found on PATH\x1b[0m\r\n')

    const other = await openTerm(k, 'tool=rm')
    await other.closed
    assert.match(other.output, /^\x1b\[31mError: tool "rm" is not allowed \(one of: claude, codex, opencode, gemini, agy, cursor\)/)
  } finally {
    await k.stop()
    process.env.PATH = savedPath
    rmSync(bin, { recursive: true, force: true })
  }
})
