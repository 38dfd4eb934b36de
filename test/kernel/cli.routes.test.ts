/**
 * `revka routes` (a real CLI process) against the document a running gateway serves, both from the
 * same config.toml (with a path prefix) and plugins file (every built-in plugin on by default, the
 * Slack example added by path, a fixture that fails setup): every route the CLI prints is in
 * GET /api/openapi.json with the same plugin, auth and limits, and the document has no other; the
 * document validates. The CLI writes nothing into the state dir it was pointed at.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Validator } from '@seriousme/openapi-schema-validator'
import { treeSnapshot } from '@revka/plugin-testing'
import { Kernel } from '../../kernel/index.js'
import { toOpenApiPath } from '../../plugins/openapi/paths.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'revka-routes-test-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const stateDir = join(dir, 'state')
const pluginsFile = join(dir, 'revka.plugins.json')

function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const k of Object.keys(env)) if (k.startsWith('REVKA_') || k === 'PORT' || k === 'HOST' || k === 'NODE_OPTIONS') delete env[k]
  return { ...env, REVKA_STATE_DIR: stateDir }
}

function revka(args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'revka.js'), ...args], { cwd: dir, env: cliEnv(), encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

test('revka routes lists what the gateway serves; GET /api/openapi.json lists every route it prints', async () => {
  {
    // the CLI and the gateway read one state dir: config.toml with a path prefix
    mkdirSync(stateDir, { recursive: true, mode: 0o700 })
    writeFileSync(join(stateDir, 'config.toml'), '[gateway]\npath_prefix = "/gw"\n', { mode: 0o600 })
    writeFileSync(
      pluginsFile,
      JSON.stringify({
        paths: [join(ROOT, 'examples', 'webhook-slack'), join(ROOT, 'test', 'fixtures', 'plugins', 'fx-throw-setup')],
        plugins: { 'webhook-slack': { options: { signing_secret: 'slack-secret' } }, 'fx-throw-setup': { enabled: true } },
      }),
    )
    const before = treeSnapshot(stateDir)
    const json = revka(['routes', '--json', '--plugins', pluginsFile])
    assert.equal(json.code, 0, json.stderr)
    assert.match(json.stderr, /plugin fx-throw-setup is failed, its routes are not listed/)
    const table = revka(['routes', '--plugins', pluginsFile])
    assert.equal(table.code, 0, table.stderr)
    assert.equal(treeSnapshot(stateDir), before, 'revka routes must not write into the state dir')

    const rows = JSON.parse(json.stdout) as Array<{
      plugin: string
      methods: string[]
      url: string
      path: string
      auth: string[] | string
      bodyLimit: number
      timeoutMs: number
      rateLimitPerMinute?: number
    }>
    assert.ok(rows.length > 80, `expected every built-in plugin's routes, got ${rows.length}`)
    assert.match(table.stdout, /^METHOD\s+PATH\s+AUTH\s+BODY\s+TIMEOUT\s+RATE\s+PLUGIN$/m)
    assert.match(table.stdout, /^POST\s+\/gw\/webhook\/slack\s+webhook-signature\s+64 KiB\s+30 s\s+60\/min\s+webhook-slack$/m)
    assert.match(table.stdout, /^GET\s+\/gw\/health\s+public\s+64 KiB\s+30 s\s+-\s+status$/m)
    assert.match(table.stdout, /^GET\s+\/gw\/api\/openapi\.json\s+bearer\s+.*openapi$/m)
    // the printed table is the --json rows, line for line: method, full path, owning plugin
    const printed = table.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => {
        const c = l.split(/\s+/)
        return `${c[0]} ${c[1]} ${c[c.length - 1]}`
      })
    assert.deepEqual(printed.sort(), rows.flatMap((r) => r.methods.map((m) => `${m} ${r.path} ${r.plugin}`)).sort())

    const kernel = new Kernel({ env: cliEnv(), pluginsFile, host: '127.0.0.1', port: 0, logStdout: false, logLevel: 'fatal', drainMs: 2000 })
    let doc: any
    try {
      await kernel.start()
      const code = kernel.auth.pairing.newCode()!
      const { token } = kernel.auth.pairing.pair(code, 'routes-test', { name: 'routes-test' })
      const res = await fetch(`${kernel.url}/api/openapi.json`, { headers: { authorization: `Bearer ${token}` } })
      assert.equal(res.status, 200)
      doc = await res.json()
    } finally {
      await kernel.stop('test done')
    }
    const verdict = await new Validator().validate(doc)
    assert.equal(verdict.valid, true, JSON.stringify(verdict.errors, null, 2))
    assert.deepEqual(doc.servers, [{ url: '/gw' }])

    const ops = new Map<string, any>()
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(item)) ops.set(op.operationId, { ...op, path, method })
    }
    let listed = 0
    for (const r of rows) {
      assert.equal(r.path, `/gw${r.url}`)
      for (const m of r.methods) {
        const op = ops.get(`${r.plugin}:${m}:${r.url}`)
        assert.ok(op, `${m} ${r.path} (revka routes) is missing from the OpenAPI document`)
        assert.equal(op.method, m.toLowerCase())
        // the same path, up to parameter names (routes of one shape share a path item)
        assert.equal(op.path.replace(/\{[^}]+\}/g, '{}'), toOpenApiPath(r.url).path.replace(/\{[^}]+\}/g, '{}'))
        assert.equal(op['x-revka-plugin'], r.plugin)
        assert.deepEqual(op['x-revka-auth'], r.auth)
        assert.equal(op['x-revka-timeout-ms'], r.timeoutMs)
        assert.equal(op['x-revka-rate-limit-per-minute'], r.rateLimitPerMinute)
        listed++
      }
    }
    assert.equal(ops.size, listed, 'the document lists a route revka routes did not print')
    // OpenAPI forbids two templated paths that differ only in parameter names
    const shapes = Object.keys(doc.paths).map((p) => p.replace(/\{[^}]+\}/g, '{}'))
    assert.equal(new Set(shapes).size, shapes.length, 'two path items of one shape')
  }
})

test('revka routes --help is its own help', () => {
  const h = revka(['routes', '--help'])
  assert.equal(h.code, 0, h.stderr)
  assert.match(h.stdout, /revka routes \[--json\]/)
  assert.match(h.stdout, /without listening/)
  assert.match(h.stdout, /--plugins FILE/)
})
