/**
 * Where npm plugins are looked for (issue 20). In a checkout: the project's node_modules. When the
 * gateway is itself an installed package (`npm i -g revka`, or a dependency), also the node_modules
 * it sits in — `npm i -g revka-plugin-x` puts a plugin there, beside it, not inside it.
 * scripts/ci-pack-install.sh proves the same end to end with a real global install.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { pluginNodeModules } from '../../kernel/lifecycle/plugin-set.js'

test('a checkout scans its own node_modules only', () => {
  assert.deepEqual(pluginNodeModules('/home/dev/revka'), ['/home/dev/revka/node_modules'])
})

test('an installed gateway also scans the node_modules it is installed in (plain and scoped)', () => {
  const global = join('/usr', 'lib', 'node_modules')
  assert.deepEqual(pluginNodeModules(join(global, 'revka')), [join(global, 'revka', 'node_modules'), global])
  assert.deepEqual(pluginNodeModules('/srv/app/node_modules/@acme/revka'), ['/srv/app/node_modules/@acme/revka/node_modules', '/srv/app/node_modules'])
  // a folder merely named like a scope is not one
  assert.deepEqual(pluginNodeModules('/srv/@acme/revka'), ['/srv/@acme/revka/node_modules'])
})
