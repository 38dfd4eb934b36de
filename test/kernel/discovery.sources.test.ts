/**
 * Discovery: plugins come from the built-in folder, from folders the operator's plugins file lists
 * (relative to that file), and from installed npm packages keyworded `revka-plugin`. A TypeScript
 * plugin anywhere on disk is loaded through jiti and shares the host's SDK; a plugins file naming
 * a plugin nobody can find stops the start with a message naming it.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { definePlugin, httpError, isHttpError } from '@revka/plugin-sdk'
import { startTestKernel } from '@revka/plugin-testing'
import { cleanupTemp, get, info, makeKernel, put, tempDir } from './helpers/kernel.js'

after(cleanupTemp)

const schema = { type: 'object', additionalProperties: false, properties: {} }
const manifest = (id: string, entry = 'index.js') => ({ id, version: '2.0.0', api: '^0.1.0', entry, configSchema: schema })
/** plain ESM JavaScript, as a published package would ship it */
const jsPlugin = (url: string, source: string) => `import { definePlugin } from '@revka/plugin-sdk'
export default definePlugin({
  setup(api) {
    api.routes.add({ method: 'GET', url: '${url}', auth: 'public', handler: () => ({ plugin: api.id, source: '${source}' }) })
  },
})
`

test('plugins are discovered from plugins/, the plugins file "paths" (relative to the file) and npm packages', async () => {
  const root = tempDir()
  const ops = join(root, 'ops')
  // a folder plugin next to the operator's file, named relatively: resolution must use the
  // file's folder, not the process cwd (the repo), where "./local/fx-local" does not exist
  put(join(ops, 'local', 'fx-local', 'revka.plugin.json'), manifest('fx-local'))
  put(join(ops, 'local', 'fx-local', 'index.js'), jsPlugin('/fx/local', 'path'))
  const nm = join(root, 'node_modules')
  put(join(nm, 'revka-plugin-fx-npm', 'package.json'), { name: 'revka-plugin-fx-npm', version: '2.0.0', type: 'module', keywords: ['agent', 'revka-plugin'] })
  put(join(nm, 'revka-plugin-fx-npm', 'revka.plugin.json'), manifest('fx-npm'))
  put(join(nm, 'revka-plugin-fx-npm', 'index.js'), jsPlugin('/fx/npm', 'npm'))
  put(join(nm, '@acme', 'fx-scoped', 'package.json'), { name: '@acme/fx-scoped', version: '2.0.0', type: 'module', keywords: ['revka-plugin'] })
  put(join(nm, '@acme', 'fx-scoped', 'revka.plugin.json'), manifest('fx-scoped'))
  put(join(nm, '@acme', 'fx-scoped', 'index.js'), jsPlugin('/fx/scoped', 'npm'))
  // a package with a manifest but without the keyword is not a plugin
  put(join(nm, 'fx-unkeyworded', 'package.json'), { name: 'fx-unkeyworded', version: '1.0.0', keywords: ['revka'] })
  put(join(nm, 'fx-unkeyworded', 'revka.plugin.json'), manifest('fx-unkeyworded'))
  put(join(nm, 'fx-unkeyworded', 'index.js'), jsPlugin('/fx/unkeyworded', 'npm'))
  const pluginsFile = put(join(ops, 'revka.plugins.json'), {
    paths: ['./local/fx-local'],
    plugins: { 'fx-local': {}, 'fx-npm': {}, 'fx-scoped': { enabled: true } },
  })

  const k = makeKernel({ pluginsFile, nodeModules: [nm] })
  try {
    await k.start()
    const status = info(k, 'status')
    assert.equal(status.source, 'builtin')
    assert.equal(status.status, 'started')
    const local = info(k, 'fx-local')
    assert.equal(local.source, 'path')
    assert.equal(local.dir, join(ops, 'local', 'fx-local'))
    assert.equal(local.status, 'started', local.diagnostic)
    assert.equal(info(k, 'fx-npm').source, 'npm')
    assert.equal(info(k, 'fx-npm').status, 'started', info(k, 'fx-npm').diagnostic)
    assert.equal(info(k, 'fx-scoped').source, 'npm')
    assert.equal(info(k, 'fx-scoped').status, 'started', info(k, 'fx-scoped').diagnostic)
    assert.equal(
      k.pluginInfos().some((p) => p.id === 'fx-unkeyworded'),
      false,
      'a package without the revka-plugin keyword was picked up',
    )

    // and each one actually serves
    assert.deepEqual((await get(k, '/fx/local')).json, { plugin: 'fx-local', source: 'path' })
    assert.deepEqual((await get(k, '/fx/npm')).json, { plugin: 'fx-npm', source: 'npm' })
    assert.deepEqual((await get(k, '/fx/scoped')).json, { plugin: 'fx-scoped', source: 'npm' })
    // nothing of it answers: the dashboard (a built-in) serves its page for a GET no route matched
    const unkeyworded = await get(k, '/fx/unkeyworded')
    assert.notDeepEqual(unkeyworded.json, { plugin: 'fx-unkeyworded', source: 'npm' })
    assert.ok(unkeyworded.status === 404 || String(unkeyworded.headers['content-type']).startsWith('text/html'), `${unkeyworded.status}`)
    const health = await get(k, '/health')
    assert.equal(health.status, 200)
    // other built-ins come and go; these components are the ones this test put there
    for (const id of ['status', 'fx-local', 'fx-npm', 'fx-scoped']) assert.equal(health.json.runtime.components[`plugin:${id}`].status, 'ok', id)
  } finally {
    await k.stop()
  }
})

test('a TypeScript plugin outside the repo is loaded through jiti and gets the host SDK', async () => {
  const dir = join(tempDir('revka-outside-'), 'fx-outside')
  put(join(dir, 'revka.plugin.json'), manifest('fx-outside', 'index.ts'))
  // real TypeScript (types, an interface, `satisfies`): it cannot run without a transpiler
  put(
    join(dir, 'index.ts'),
    `import { definePlugin, httpError, isHttpError } from '@revka/plugin-sdk'
interface Seen { definePlugin: unknown; httpError: unknown; isHttpError: unknown }
;(globalThis as any).__revkaFxOutside = { definePlugin, httpError, isHttpError } satisfies Seen
export default definePlugin({
  setup(api): void {
    api.routes.add({
      method: 'GET', url: '/fx/outside', auth: 'public',
      handler: (): never => { throw httpError(418, 'fx_teapot', 'short and stout') },
    })
  },
})
`,
  )
  assert.equal(existsSync(join(dir, 'index.js')), false)
  const k = await startTestKernel({ builtins: false, paths: [dir] })
  try {
    const p = k.plugin('fx-outside')!
    assert.equal(p.status, 'started', p.diagnostic)
    assert.equal(p.source, 'path')
    // one SDK runtime: the very same function objects the host imported, not a second copy
    const seen = (globalThis as any).__revkaFxOutside
    assert.ok(seen, 'the plugin module never ran')
    assert.equal(seen.definePlugin, definePlugin)
    assert.equal(seen.httpError, httpError)
    assert.equal(seen.isHttpError, isHttpError)
    // and the kernel turns its httpError into the one error shape with its status
    const res = await k.inject({ url: '/fx/outside' })
    assert.equal(res.statusCode, 418)
    assert.deepEqual(res.json(), { error: 'short and stout', code: 'fx_teapot' })
  } finally {
    await k.stop()
    delete (globalThis as any).__revkaFxOutside
  }
})

test('a plugins file naming an unknown plugin stops the start and names the id', async () => {
  const pluginsFile = put(join(tempDir(), 'revka.plugins.json'), { plugins: { 'fx-does-not-exist': { enabled: true } } })
  const k = makeKernel({ pluginsFile })
  try {
    await assert.rejects(k.start(), (e: Error) => {
      assert.match(e.message, /^REVKA_ERR_UNKNOWN_PLUGIN/)
      assert.match(e.message, /"fx-does-not-exist"/)
      assert.ok(e.message.includes(pluginsFile), 'the message should say which file to fix')
      return true
    })
    assert.equal(k.app.server.listening, false, 'nothing should listen after a refused start')
  } finally {
    await k.stop()
  }
})
