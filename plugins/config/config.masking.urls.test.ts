/**
 * Issue 10 item 8: GET /api/config showed provider `headers` and credentials inside URLs
 * (`user:pass@`, `?key=`) in clear. Every header value and every credential part of a URL is now
 * masked, and a PUT that sends the masks back keeps what is stored.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'smol-toml'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'

const MASK = '***MASKED***'
const SECRETS = ['Bearer sk-hdr-9f8e7d', 'xk-555-header', 'session=c00k1e', 'hunter2', 'bob', 'qk-777', 'tk-888', 'sg-999', 'ak-000']
const CONFIG = `default_provider = "proxy"

[providers.proxy]
type = "openai-compatible"
base_url = "https://bob:hunter2@llm.example/v1?key=qk-777&region=eu"
model = "m"

[providers.proxy.headers]
Authorization = "Bearer sk-hdr-9f8e7d"
x-api-key = "xk-555-header"
Cookie = "session=c00k1e"

[observability]
backend = "none"
otel_endpoint = "https://collector.example/v1/traces?token=tk-888&sig=sg-999&api_key=ak-000&page=2"
`

const auth = (k: TestKernel) => ({ authorization: `Bearer ${k.token}` })

async function getConfig(k: TestKernel) {
  const res = await fetch(`${k.url}/api/config`, { headers: auth(k) })
  return { text: await res.text(), status: res.status }
}

test('GET /api/config masks every provider header value and the credentials inside URLs', async () => {
  const k = await startTestKernel({ plugins: ['config'], config: CONFIG, listen: true })
  try {
    const { text, status } = await getConfig(k)
    assert.equal(status, 200)
    const leaked = SECRETS.filter((s) => text.includes(s))
    assert.deepEqual(leaked, [], 'secrets in clear in GET /api/config')
    const doc = parse(JSON.parse(text).content) as any
    assert.deepEqual({ ...doc.providers.proxy.headers }, { Authorization: MASK, 'x-api-key': MASK, Cookie: MASK })
    // only the credential parts are masked: the operator still sees where each URL points
    assert.equal(doc.providers.proxy.base_url, `https://${MASK}@llm.example/v1?key=${MASK}&region=eu`)
    assert.equal(doc.observability.otel_endpoint, `https://collector.example/v1/traces?token=${MASK}&sig=${MASK}&api_key=${MASK}&page=2`)
  } finally {
    await k.stop()
  }
})

test('PUT of the masked document keeps the stored headers and URL credentials; a changed masked URL is refused', async () => {
  const k = await startTestKernel({ plugins: ['config'], config: CONFIG, listen: true })
  try {
    const content = JSON.parse((await getConfig(k)).text).content as string
    const put = (body: string) => fetch(`${k.url}/api/config`, { method: 'PUT', headers: { ...auth(k), 'content-type': 'text/plain' }, body })
    const same = await put(content.replace('model = "m"', 'model = "m2"'))
    assert.equal(same.status, 200, await same.text())
    const disk = parse(readFileSync(join(k.stateDir, 'config.toml'), 'utf8')) as any
    assert.equal(disk.providers.proxy.model, 'm2')
    assert.equal(disk.providers.proxy.headers.Authorization, 'Bearer sk-hdr-9f8e7d')
    assert.equal(disk.providers.proxy.base_url, 'https://bob:hunter2@llm.example/v1?key=qk-777&region=eu')
    assert.equal(disk.observability.otel_endpoint, 'https://collector.example/v1/traces?token=tk-888&sig=sg-999&api_key=ak-000&page=2')

    // pointing a masked URL elsewhere cannot carry the stored password along, nor write the mask
    const before = readFileSync(join(k.stateDir, 'config.toml'))
    const moved = await put(content.replace('@llm.example/', '@evil.example/'))
    assert.equal(moved.status, 400)
    assert.equal(((await moved.json()) as any).code, 'invalid_config')
    assert.ok(readFileSync(join(k.stateDir, 'config.toml')).equals(before))
  } finally {
    await k.stop()
  }
})
