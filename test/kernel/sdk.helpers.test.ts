/**
 * Two small SDK helpers that replaced copies in the plugins: `isObject` (every message normaliser
 * and config reader) and `resolveSecret` (the "env var, else plugin option" lookup the kernel uses
 * for provider routes and the channel plugins use to sign and send). What an operator would notice
 * if they drifted: a secret set in the environment not winning over config.toml, a blank variable
 * hiding the configured option, or a JSON array accepted where an object was expected.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isObject, resolveSecret } from '@revka/plugin-sdk'

test('isObject accepts plain objects only', () => {
  assert.equal(isObject({}), true)
  assert.equal(isObject({ a: 1 }), true)
  assert.equal(isObject(Object.create(null)), true)
  for (const v of [null, undefined, [], [1], 'x', 1, true, new Date(0)]) assert.equal(isObject(v), false, String(v))
})

test('resolveSecret: the environment variable wins, trimmed; a blank one falls back to the option', () => {
  const src = { env: 'REVKA_X_TOKEN', config: 'api_token' }
  const env = (vars: Record<string, string>) => (name: string) => vars[name]
  assert.equal(resolveSecret(src, { api_token: 'from-config' }, env({ REVKA_X_TOKEN: '  from-env \n' })), 'from-env')
  assert.equal(resolveSecret(src, { api_token: ' from-config ' }, env({ REVKA_X_TOKEN: '   ' })), 'from-config')
  assert.equal(resolveSecret(src, { api_token: ' from-config ' }, env({})), 'from-config')
  assert.equal(resolveSecret(src, { api_token: '  ' }, env({})), undefined, 'a blank option is not a secret')
  assert.equal(resolveSecret(src, { api_token: 42 }, env({})), undefined, 'only a string is a secret')
  assert.equal(resolveSecret(src, undefined, env({})), undefined)
  assert.equal(resolveSecret(undefined, { api_token: 'x' }, env({ REVKA_X_TOKEN: 'y' })), undefined, 'no source, no secret')
})

test('resolveSecret reads a dotted option path', () => {
  const none = () => undefined
  assert.equal(resolveSecret({ config: 'signing.secret' }, { signing: { secret: 's3' } }, none), 's3')
  assert.equal(resolveSecret({ config: 'signing.secret' }, { signing: 'flat' }, none), undefined)
  assert.equal(resolveSecret({ config: 'signing.secret' }, { signing: null }, none), undefined)
})
