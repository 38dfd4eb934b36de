/**
 * Start-up work that must stay off the start path, and the bundled kernel that bin/revka.js runs
 * when `npm install` made one: the HTTP server is built without Ajv or fast-json-stringify (Fastify's
 * default compilers), yet a route with a response schema is still serialized by it; and the bundle
 * answers like the per-file kernel.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { createServer } from '../../kernel/http/server.js'
import { REPO_ROOT, tempDir } from './helpers/kernel.js'

const loaded = (file: string) => Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes(`/node_modules/${file}`))
const quietLog = { error() {}, warn() {}, info() {}, debug() {} } as any

test('the server starts without Ajv or fast-json-stringify; a schema the build did not precompile still validates; a response schema still shapes the reply', async () => {
  const app = createServer({ timeoutMs: 5000, log: quietLog })
  app.post('/plain', async () => ({ ok: true }))
  await app.ready()
  assert.equal(loaded('ajv/dist/ajv.js'), false, 'Ajv was loaded to build the server')
  // (Fastify's error serializer, fast-json-stringify/lib/serializer.js, is small and always loaded)
  assert.equal(loaded('fast-json-stringify/index.js'), false, 'the fast-json-stringify compiler was loaded to build the server')
  await app.close()

  // a schema npm run build did not see (a third-party plugin's) is compiled by Ajv when its route is
  const ad = createServer({ timeoutMs: 5000, log: quietLog })
  ad.post('/v', { schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'number', minimum: 7.5 } } } } }, async (req: any) => ({
    n: req.body.n,
  }))
  await ad.ready()
  assert.equal((await ad.inject({ method: 'POST', url: '/v', payload: { n: 'x' } })).statusCode, 400)
  assert.equal((await ad.inject({ method: 'POST', url: '/v', payload: { n: 7 } })).statusCode, 400)
  assert.equal((await ad.inject({ method: 'POST', url: '/v', payload: { n: 8 } })).statusCode, 200)
  assert.equal(loaded('ajv/dist/ajv.js'), true)
  await ad.close()

  const app2 = createServer({ timeoutMs: 5000, log: quietLog })
  app2.get('/r', { schema: { response: { 200: { type: 'object', properties: { a: { type: 'number' } } } } } }, async () => ({
    a: 1,
    secret: 'not in the schema',
  }))
  const r = await app2.inject({ url: '/r' })
  assert.deepEqual(r.json(), { a: 1 })
  assert.equal(loaded('fast-json-stringify/index.js'), true)
  await app2.close()
})

test('the bundled kernel (when built) and the per-file kernel give the same CLI answers', (t) => {
  if (!existsSync(join(REPO_ROOT, 'kernel/dist/cli.json'))) return t.skip('no bundle: esbuild is not installed')
  const bin = join(REPO_ROOT, 'bin', 'revka.js')
  const run = (unbundled: boolean, args: string[]) => {
    const cwd = tempDir('revka-bundle-cwd-')
    const env: NodeJS.ProcessEnv = { ...process.env, REVKA_STATE_DIR: join(cwd, 'state'), REVKA_UNBUNDLED: unbundled ? '1' : '' }
    const r = spawnSync(process.execPath, [bin, ...args], { cwd, env, encoding: 'utf8', timeout: 20_000 })
    return { code: r.status, stdout: r.stdout, stderr: r.stderr }
  }
  for (const args of [['--version'], ['plugins', 'list', '--json'], ['frobnicate']]) {
    const a = run(false, args)
    const b = run(true, args)
    assert.equal(a.code, b.code, `${args.join(' ')}: ${a.stderr}`)
    assert.equal(a.stdout, b.stdout, args.join(' '))
    assert.equal(a.stderr, b.stderr, args.join(' '))
  }
})
