import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse as parseToml } from 'smol-toml'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { isolateHome, openTerm, type TermClient } from './test-helpers.js'

const home = isolateHome()
const FAKE_TOOLS = ['claude', 'codex', 'gemini', 'cursor', 'opencode', 'agy']
let bin = ''
let savedPath: string | undefined

// every fake CLI reports what it was started with, then waits for a line (so its HOME can be
// inspected while it runs) and exits
before(() => {
  bin = mkdtempSync(join(tmpdir(), 'revka-term-fakecli-'))
  const script =
    '#!/bin/sh\necho "FAKE $(basename "$0") home=$HOME url=$REVKA_MCP_URL session=$REVKA_MCP_SESSION token=$REVKA_MCP_TOKEN pwd=$(pwd) END"\nread line\necho "bye $line"\n'
  for (const t of FAKE_TOOLS) {
    writeFileSync(join(bin, t), script)
    chmodSync(join(bin, t), 0o755)
  }
  savedPath = process.env.PATH
  process.env.PATH = `${bin}:/usr/bin:/bin`
})
after(() => {
  process.env.PATH = savedPath
  rmSync(bin, { recursive: true, force: true })
})

/** a kernel running the real mcp plugin too: its server writes <home>/.revka/mcp.json */
async function boot(): Promise<TestKernel> {
  return startTestKernel({ plugins: ['terminal', 'status', 'mcp'], listen: true })
}

async function mint(k: TestKernel): Promise<{ session_id: string; token: string }> {
  const res = await fetch(`${k.url!.replace(/\/$/, '')}/api/mcp/session`, {
    method: 'POST',
    headers: { authorization: `Bearer ${k.token}`, 'content-type': 'application/json' },
    body: '{}',
  })
  assert.equal(res.status, 200)
  return res.json() as any
}

const q = (tool: string, s: { session_id: string; token: string }) =>
  `tool=${tool}&mcp_session=${encodeURIComponent(s.session_id)}&mcp_token=${encodeURIComponent(s.token)}`

interface Started {
  home: string
  url: string
  session: string
  token: string
  pwd: string
}
async function started(t: TermClient, tool: string): Promise<Started> {
  const m = await t.waitFor(new RegExp(`FAKE ${tool} home=(\\S*) url=(\\S*) session=(\\S*) token=(\\S*) pwd=(\\S*) END`))
  return { home: m[1], url: m[2], session: m[3], token: m[4], pwd: m[5] }
}

/** our temp HOMEs (this process's) currently in the OS temp dir */
const ourHomes = () =>
  readdirSync(tmpdir())
    .filter((n) => n.startsWith(`revka-term-mcp-${process.pid}-`))
    .sort()

async function gone(dir: string, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (existsSync(dir) && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
  return !existsSync(dir)
}

/** what the in-process server answers an MCP `initialize` sent with this config's url and headers */
async function initializeStatus(url: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'fake-cli', version: '0' } },
    }),
  })
  await res.arrayBuffer()
  return res.status
}

const mode = (p: string) => statSync(p).mode & 0o777

/** the refusal's close; a terminal that started instead (and waits for input) fails fast, not at the suite timeout */
async function refused(t: TermClient): Promise<{ code: number; reason: string }> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      t.ws.close()
      reject(new Error(`not refused; output: ${JSON.stringify(t.output)}`))
    }, 5000)
  })
  try {
    return await Promise.race([t.closed, late])
  } finally {
    clearTimeout(timer)
  }
}

test('claude: a fresh 0700 HOME with ~/.claude.json pointing at the in-process MCP server, and the REVKA_MCP_* env', async () => {
  const k = await boot()
  try {
    const mcpUrl = JSON.parse(readFileSync(join(home, '.revka', 'mcp.json'), 'utf8')).url as string
    const s = await mint(k)
    const t = await openTerm(k, q('claude', s))
    const got = await started(t, 'claude')

    assert.notEqual(got.home, home)
    assert.ok(got.home.startsWith(join(tmpdir(), 'revka-term-mcp-')), got.home)
    assert.equal(mode(got.home), 0o700)
    assert.deepEqual({ url: got.url, session: got.session, token: got.token }, { url: mcpUrl, session: s.session_id, token: s.token })
    assert.equal(got.pwd, home, 'the default cwd stays the real home, not the throwaway one')

    assert.deepEqual(readdirSync(got.home), ['.claude.json'])
    const file = join(got.home, '.claude.json')
    assert.equal(mode(file), 0o600)
    const cfg = JSON.parse(readFileSync(file, 'utf8'))
    assert.deepEqual(cfg, {
      mcpServers: { revka: { type: 'http', url: mcpUrl, headers: { Authorization: `Bearer ${s.token}`, 'X-Revka-Session': s.session_id } } },
    })
    // the config really opens the session: the server accepts exactly those headers
    assert.equal(await initializeStatus(cfg.mcpServers.revka.url, cfg.mcpServers.revka.headers), 200)
    assert.equal(await initializeStatus(mcpUrl, { ...cfg.mcpServers.revka.headers, Authorization: `Bearer ${'0'.repeat(64)}` }), 401)

    t.ws.close()
    await t.closed
    assert.ok(await gone(got.home), 'the temp HOME is removed once the socket closes')
  } finally {
    await k.stop()
  }
})

test('codex: ~/.codex/config.toml with [mcp_servers.revka] url + http_headers; the dir goes when the CLI exits', async () => {
  const k = await boot()
  try {
    const s = await mint(k)
    const t = await openTerm(k, q('codex', s))
    const got = await started(t, 'codex')
    const file = join(got.home, '.codex', 'config.toml')
    assert.equal(mode(file), 0o600)
    assert.equal(mode(join(got.home, '.codex')), 0o700)
    // (smol-toml builds null-prototype objects; the JSON round trip makes them comparable)
    const cfg = JSON.parse(JSON.stringify(parseToml(readFileSync(file, 'utf8')))) as any
    assert.deepEqual(cfg, { mcp_servers: { revka: { url: got.url, http_headers: { Authorization: `Bearer ${s.token}`, 'X-Revka-Session': s.session_id } } } })
    assert.equal(await initializeStatus(cfg.mcp_servers.revka.url, cfg.mcp_servers.revka.http_headers), 200)
    assert.equal(got.token, s.token)

    // the CLI exits on its own: the PTY's exit removes the dir and closes the socket
    t.send('done\r')
    assert.deepEqual(await t.closed, { code: 1000, reason: 'process exited' })
    assert.ok(await gone(got.home))
  } finally {
    await k.stop()
  }
})

test('gemini, cursor, opencode get their own file; agy only the env vars', async () => {
  const k = await boot()
  try {
    const s = await mint(k)
    const headers = { Authorization: `Bearer ${s.token}`, 'X-Revka-Session': s.session_id }
    const expected: Record<string, (url: string) => [string, unknown] | undefined> = {
      gemini: (url) => [join('.gemini', 'settings.json'), { mcpServers: { revka: { httpUrl: url, headers } } }],
      cursor: (url) => [join('.cursor', 'mcp.json'), { mcpServers: { revka: { url, headers } } }],
      opencode: (url) => [
        join('.config', 'opencode', 'opencode.json'),
        { $schema: 'https://opencode.ai/config.json', mcp: { revka: { type: 'remote', url, enabled: true, headers } } },
      ],
      agy: () => undefined,
    }
    for (const [tool, want] of Object.entries(expected)) {
      const t = await openTerm(k, q(tool, s))
      const got = await started(t, tool)
      assert.equal(got.token, s.token, tool)
      const w = want(got.url)
      if (w) {
        assert.equal(mode(join(got.home, w[0])), 0o600, tool)
        assert.deepEqual(JSON.parse(readFileSync(join(got.home, w[0]), 'utf8')), w[1], tool)
      } else {
        assert.deepEqual(readdirSync(got.home), [], 'agy: env vars only')
      }
      t.ws.close()
      await t.closed
      assert.ok(await gone(got.home), tool)
    }
  } finally {
    await k.stop()
  }
})

test('two connections get two different dirs; gateway stop removes a dir whose terminal is still open', async () => {
  const k = await boot()
  let dirs: string[]
  try {
    const s = await mint(k)
    const [a, b] = await Promise.all([openTerm(k, q('claude', s)), openTerm(k, q('claude', s))])
    dirs = [(await started(a, 'claude')).home, (await started(b, 'claude')).home]
    assert.notEqual(dirs[0], dirs[1])
    assert.ok(dirs.every((d) => existsSync(join(d, '.claude.json'))))
  } finally {
    await k.stop()
  }
  for (const d of dirs) assert.ok(!existsSync(d), `${d} removed at stop`)
})

test('only one of mcp_session / mcp_token, or a malformed one: a red error line, close, and no dir', async () => {
  const k = await boot()
  try {
    const s = await mint(k)
    const before = ourHomes()
    const cases: Array<[string, string]> = [
      [`tool=claude&mcp_session=${s.session_id}`, 'mcp_session and mcp_token must be given together'],
      [`tool=codex&mcp_token=${s.token}`, 'mcp_session and mcp_token must be given together'],
      [`mcp_session=${s.session_id}&mcp_token=`, 'mcp_session and mcp_token must be given together'],
      [`tool=claude&mcp_session=${s.session_id}&mcp_token=${encodeURIComponent(`${s.token}\x1b[2J`)}`, 'mcp_token is malformed (1-512 URL-safe characters)'],
      [`tool=claude&mcp_session=${s.session_id}&mcp_token=${'a'.repeat(513)}`, 'mcp_token is malformed (1-512 URL-safe characters)'],
      [`tool=claude&mcp_session=${encodeURIComponent('../../etc')}&mcp_token=${s.token}`, 'mcp_session is malformed (1-128 characters A-Z a-z 0-9 _ -)'],
    ]
    for (const [query, msg] of cases) {
      const t = await openTerm(k, query)
      const closed = await refused(t)
      assert.equal(t.output, `\x1b[31mError: ${msg}\x1b[0m\r\n`, query)
      assert.equal(closed.code, 1000)
      assert.ok(!t.output.includes(s.token), 'the token is never echoed')
    }
    assert.deepEqual(ourHomes(), before, 'no temp HOME was created')
  } finally {
    await k.stop()
  }
})

test('without a live MCP server the terminal says so instead of writing a config that cannot work', async () => {
  const k = await startTestKernel({ plugins: ['terminal', 'status'], listen: true })
  const discovery = join(home, '.revka', 'mcp.json')
  try {
    const before = ourHomes()
    // no mcp.json at all (the mcp plugin is not running), then one left by another process: a
    // server that never minted this session
    for (const file of [undefined, { url: 'http://127.0.0.1:9/mcp', pid: process.ppid, started_at: new Date().toISOString() }]) {
      rmSync(discovery, { force: true })
      if (file) {
        mkdirSync(join(home, '.revka'), { recursive: true })
        writeFileSync(discovery, JSON.stringify(file))
      }
      const t = await openTerm(k, 'tool=claude&mcp_session=abc&mcp_token=def')
      await refused(t)
      assert.equal(t.output, '\x1b[31mError: the MCP server is not available (is the mcp plugin running?)\x1b[0m\r\n', JSON.stringify(file))
    }
    assert.deepEqual(ourHomes(), before)
  } finally {
    await k.stop()
    rmSync(discovery, { force: true })
  }
})

test('the session token never reaches the gateway log', async () => {
  // debug level, written to <state>/logs/gateway.log (and stdout) while this kernel runs
  const saved = process.env.REVKA_TEST_LOG
  process.env.REVKA_TEST_LOG = '1'
  let k: TestKernel
  try {
    k = await boot()
  } finally {
    if (saved === undefined) delete process.env.REVKA_TEST_LOG
    else process.env.REVKA_TEST_LOG = saved
  }
  const log = join(k.stateDir, 'logs', 'gateway.log')
  let text: string
  let token: string
  try {
    const s = await mint(k)
    token = s.token
    const t = await openTerm(k, q('claude', s))
    await started(t, 'claude')
    t.send('bye\r')
    await t.closed
    const bad = await openTerm(k, `tool=claude&mcp_token=${s.token}`)
    await bad.closed
  } finally {
    // read before stop: stop removes the state dir; give the async log stream a moment to flush
    await new Promise((r) => setTimeout(r, 200))
    text = readFileSync(log, 'utf8')
    await k.stop()
  }
  assert.match(text, /terminal opened/, 'the log was captured at the level that records terminals')
  assert.ok(!text.includes(token), 'the MCP token appears in the gateway log')
})

test("at start, temp HOMEs left by a gateway that died are swept; a live process's are kept", async () => {
  const dead = spawnSync('/bin/true').pid!
  const stale = mkdtempSync(join(tmpdir(), `revka-term-mcp-${dead}-`))
  writeFileSync(join(stale, '.claude.json'), '{}')
  const live = mkdtempSync(join(tmpdir(), `revka-term-mcp-${process.ppid}-`))
  try {
    const k = await startTestKernel({ plugins: ['terminal', 'status'], listen: true })
    await k.stop()
    assert.ok(!existsSync(stale), "the dead gateway's dir is removed")
    assert.ok(existsSync(live), "a running process's dir is left alone")
  } finally {
    rmSync(stale, { recursive: true, force: true })
    rmSync(live, { recursive: true, force: true })
  }
})
