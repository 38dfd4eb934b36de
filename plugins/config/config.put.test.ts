import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'smol-toml'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'

const CONFIG = `[gateway]
require_pairing = true

[observability]
backend = "none"

[channels_config.whatsapp]
app_secret = "wa-app-secret-4f3e2d1c"
`

const configPath = (k: TestKernel) => join(k.stateDir, 'config.toml')
const put = (k: TestKernel, payload: string | Buffer | object, contentType = 'text/plain') =>
  k.inject({ method: 'PUT', url: '/api/config', headers: { authorization: `Bearer ${k.token}`, 'content-type': contentType }, payload })

test('invalid TOML is a 400 naming the line, and the file on disk is untouched', async () => {
  const k = await startTestKernel({ plugins: ['config'], config: CONFIG })
  try {
    const before = readFileSync(configPath(k))
    const res = await put(k, '[gateway]\nrequire_pairing = true\n\n[observability\nbackend = "prometheus"\n')
    assert.equal(res.statusCode, 400)
    const body = res.json()
    assert.equal(body.code, 'invalid_toml')
    assert.equal(body.line, 4)
    assert.match(body.error, /line 4/)
    assert.deepEqual(readFileSync(configPath(k)), before)
    // the config in force did not change either
    const got = (await k.inject({ url: '/api/config', headers: { authorization: `Bearer ${k.token}` } })).json()
    assert.equal((parse(got.content) as any).observability.backend, 'none')
  } finally {
    await k.stop()
  }
})

test('a config that parses but fails validation is a 400 and is not written', async () => {
  const k = await startTestKernel({ plugins: ['config'], config: CONFIG })
  try {
    const before = readFileSync(configPath(k))
    const res = await put(k, '[gateway]\npath_prefix = "no-leading-slash/"\n')
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().code, 'invalid_config')
    assert.match(res.json().error, /path_prefix/)
    assert.deepEqual(readFileSync(configPath(k)), before)
  } finally {
    await k.stop()
  }
})

test('JSON bodies are refused with 415, whatever they contain, and nothing is written', async () => {
  const k = await startTestKernel({ plugins: ['config'], config: CONFIG })
  try {
    const before = readFileSync(configPath(k))
    const obj = await put(k, { gateway: { require_pairing: false } }, 'application/json')
    assert.equal(obj.statusCode, 415)
    assert.equal(obj.json().code, 'unsupported_media_type')
    assert.match(obj.json().error, /TOML/)
    // a JSON string that happens to be TOML is still JSON
    const str = await put(k, JSON.stringify('[gateway]\nrequire_pairing = false\n'), 'application/json')
    assert.equal(str.statusCode, 415)
    const vendor = await put(k, '{"a":1}', 'application/vnd.api+json')
    assert.equal(vendor.statusCode, 415)
    const form = await put(k, 'gateway=1', 'application/x-www-form-urlencoded')
    assert.equal(form.statusCode, 415)
    const broken = await put(k, '{"gateway": ', 'application/json')
    assert.equal(broken.statusCode, 400)
    assert.deepEqual(readFileSync(configPath(k)), before)
  } finally {
    await k.stop()
  }
})

test('empty and non-UTF-8 bodies are refused without touching the file', async () => {
  const k = await startTestKernel({ plugins: ['config'], config: CONFIG })
  try {
    const before = readFileSync(configPath(k))
    const empty = await put(k, '')
    assert.equal(empty.statusCode, 400)
    assert.equal(empty.json().code, 'empty_body')
    const blank = await put(k, '  \n\n')
    assert.equal(blank.statusCode, 400)
    const latin1 = await put(k, Buffer.from([0x5b, 0x61, 0x5d, 0x0a, 0x62, 0x20, 0x3d, 0x20, 0x22, 0xe9, 0x22, 0x0a]), 'application/toml')
    assert.equal(latin1.statusCode, 400)
    assert.equal(latin1.json().code, 'invalid_encoding')
    assert.deepEqual(readFileSync(configPath(k)), before)
  } finally {
    await k.stop()
  }
})

test('application/toml bytes are accepted, and a change to a gateway key reports restart required', async () => {
  const k = await startTestKernel({ plugins: ['config'], config: CONFIG })
  try {
    const toml =
      '[gateway]\nrequire_pairing = true\nport = 42999\n\n[observability]\nbackend = "none"\n\n[channels_config.whatsapp]\napp_secret = "***MASKED***"\nverify_token = "naïve-ünïcode"\n'
    const res = await put(k, Buffer.from(toml, 'utf8'), 'application/toml')
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json().status, 'ok')
    assert.equal(res.json().restart, 'skipped — restart the gateway to apply gateway.port, channels_config.whatsapp.verify_token')
    assert.deepEqual(res.json().restart_required, ['gateway.port', 'channels_config.whatsapp.verify_token'])
    const disk = parse(readFileSync(configPath(k), 'utf8')) as any
    assert.equal(disk.gateway.port, 42999)
    assert.equal(disk.channels_config.whatsapp.app_secret, 'wa-app-secret-4f3e2d1c')
    assert.equal(disk.channels_config.whatsapp.verify_token, 'naïve-ünïcode')
  } finally {
    await k.stop()
  }
})

test('the write is atomic: the file parses afterwards, stays private, and no temp files remain', async () => {
  const k = await startTestKernel({ plugins: ['config'], config: CONFIG })
  try {
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => put(k, `[gateway]\nrequire_pairing = true\n\n[observability]\nbackend = "none"\notel_service_name = "writer-${n}"\n`)),
    )
    for (const r of results) assert.equal(r.statusCode, 200, r.body)
    const disk = parse(readFileSync(configPath(k), 'utf8')) as any
    assert.match(disk.observability.otel_service_name, /^writer-[1-5]$/)
    const leftovers = readdirSync(k.stateDir).filter((f) => f.endsWith('.tmp') || f.includes('.tmp'))
    assert.deepEqual(leftovers, [])
    assert.equal(statSync(configPath(k)).mode & 0o077, 0, 'config.toml holds secrets: owner-only')
  } finally {
    await k.stop()
  }
})
