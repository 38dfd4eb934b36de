/**
 * Attack: a paired device (a bearer arriving through a same-host proxy, so never "local") tries to
 * weaken the gateway through PUT /api/config (issue 10 item 2). Every security-bearing key is
 * refused with 403 naming it and config.toml stays byte-identical; loopback and the service token
 * may change them; an unsafe combination is refused even from loopback with the start's own
 * message; a node token set through config never becomes live before a restart.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'smol-toml'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { connectNode } from '../nodes/test-support/node-client.js'

const BASE = `default_provider = "openai"
default_model = "gpt-test"

[gateway]
host = "127.0.0.1"
require_pairing = true
trust_forwarded_headers = false
allowed_origins = []
pair_rate_limit_per_minute = 10
webhook_rate_limit_per_minute = 60

[gateway.pairing]
code_ttl_secs = 3600

[observability]
backend = "none"

[nodes]
max_nodes = 4

[providers.openai]
type = "openai-compatible"
base_url = "https://api.openai.com/v1"
api_key_env = "OPENAI_API_KEY"
model = "gpt-test"
`

/** one edit of BASE per bullet of the issue, and the key the refusal must name */
const ATTACKS: Array<{ key: string; edit: (t: string) => string }> = [
  { key: 'gateway.host', edit: (t) => t.replace('host = "127.0.0.1"\nrequire_pairing = true', 'host = "0.0.0.0"\nrequire_pairing = false') },
  { key: 'gateway.allowed_origins', edit: (t) => t.replace('allowed_origins = []', 'allowed_origins = ["https://evil.example"]') },
  { key: 'gateway.trust_forwarded_headers', edit: (t) => t.replace('trust_forwarded_headers = false', 'trust_forwarded_headers = true') },
  { key: 'gateway.pair_rate_limit_per_minute', edit: (t) => t.replace('pair_rate_limit_per_minute = 10', 'pair_rate_limit_per_minute = 100000') },
  { key: 'gateway.webhook_rate_limit_per_minute', edit: (t) => t.replace('webhook_rate_limit_per_minute = 60', 'webhook_rate_limit_per_minute = 100000') },
  { key: 'gateway.pairing.code_ttl_secs', edit: (t) => t.replace('code_ttl_secs = 3600', 'code_ttl_secs = 2592000') },
  { key: 'gateway.pairing.code_ttl_secs', edit: (t) => t.replace('[gateway.pairing]\ncode_ttl_secs = 3600\n', '') },
  { key: 'providers.openai.base_url', edit: (t) => t.replace('https://api.openai.com/v1', 'https://evil.example/v1') },
  { key: 'providers.openai.api_key_env', edit: (t) => t.replace('"OPENAI_API_KEY"', '"AWS_SECRET_ACCESS_KEY"') },
  { key: 'providers.openai.headers.x-exfil', edit: (t) => `${t}\n[providers.openai.headers]\nx-exfil = "1"\n` },
  {
    key: 'providers.evil.base_url',
    edit: (t) =>
      `${t.replace('default_provider = "openai"', 'default_provider = "evil"')}\n[providers.evil]\ntype = "openai-compatible"\nbase_url = "https://evil.example/v1"\napi_key_env = "HOME"\n`,
  },
  { key: 'providers.openai.api_key', edit: (t) => t.replace('[providers.openai]\n', '[providers.openai]\napi_key = "sk-attacker-account"\n') },
  { key: 'nodes.auth_token', edit: (t) => t.replace('max_nodes = 4', 'max_nodes = 4\nauth_token = "attacker-node-token"') },
  { key: 'observability.backend', edit: (t) => t.replace('backend = "none"', 'backend = "prometheus"') },
  { key: 'providers.openai.api_key_profile', edit: (t) => t.replace('[providers.openai]\n', '[providers.openai]\napi_key_profile = "openai:attacker"\n') },
  { key: 'clawhub.api_url', edit: (t) => `${t}\n[clawhub]\napi_url = "https://evil.example/skills"\n` },
]

const REMOTE = { 'x-forwarded-for': '203.0.113.7' }
const configPath = (k: TestKernel) => join(k.stateDir, 'config.toml')

/** PUT over a real socket; `headers` picks the credential and whether a proxy forwarded it */
async function put(k: TestKernel, body: string, headers: Record<string, string>) {
  const res = await fetch(`${k.url}/api/config`, { method: 'PUT', headers: { 'content-type': 'application/toml', ...headers }, body })
  return { status: res.status, json: (await res.json()) as any }
}

async function get(k: TestKernel, headers: Record<string, string>) {
  const res = await fetch(`${k.url}/api/config`, { headers })
  return (await res.json()) as any
}

const boot = (config = BASE) => startTestKernel({ plugins: ['config', 'nodes', 'pairing'], config, listen: true })

test('a paired device behind a proxy cannot change any security-bearing key: 403 naming it, config.toml byte-identical', async () => {
  const k = await boot()
  try {
    const device = { authorization: `Bearer ${k.token}`, ...REMOTE }
    const before = readFileSync(configPath(k))
    const seen: Array<{ key: string; status: number; code?: string; named: boolean; unchanged: boolean }> = []
    for (const a of ATTACKS) {
      const body = a.edit(BASE)
      assert.notEqual(body, BASE, `the edit for ${a.key} changes nothing`)
      const r = await put(k, body, device)
      seen.push({
        key: a.key,
        status: r.status,
        code: r.json.code,
        named: String(r.json.error).includes(a.key),
        unchanged: readFileSync(configPath(k)).equals(before),
      })
      // before the fix each PUT was written: put the original back for the next attack
      if (r.status === 200) await put(k, BASE, { 'x-revka-service-token': k.serviceToken })
    }
    assert.deepEqual(
      seen,
      ATTACKS.map((a) => ({ key: a.key, status: 403, code: 'config_key_protected', named: true, unchanged: true })),
    )
  } finally {
    await k.stop()
  }
})

test('a dashboard round trip from a paired device (GET, edit default_model, PUT every mask back) is accepted', async () => {
  const secrets = `${BASE}\n[providers.openai.headers]\nAuthorization = "Bearer sk-hdr-111"\n\n[providers.proxy]\ntype = "openai-compatible"\nbase_url = "https://bob:hunter2@llm.example/v1?key=k-222"\napi_key = "sk-lit-333"\n`
  const k = await boot(secrets.replace('max_nodes = 4', 'max_nodes = 4\nauth_token = "node-tok-444"'))
  try {
    const device = { authorization: `Bearer ${k.token}`, ...REMOTE }
    const got = await get(k, device)
    const edited = String(got.content).replace('default_model = "gpt-test"', 'default_model = "gpt-other"')
    assert.notEqual(edited, got.content)
    const r = await put(k, edited, device)
    assert.equal(r.status, 200, JSON.stringify(r.json))
    const disk = parse(readFileSync(configPath(k), 'utf8')) as any
    assert.equal(disk.default_model, 'gpt-other')
    assert.equal(disk.providers.openai.headers.Authorization, 'Bearer sk-hdr-111')
    assert.equal(disk.providers.proxy.base_url, 'https://bob:hunter2@llm.example/v1?key=k-222')
    assert.equal(disk.providers.proxy.api_key, 'sk-lit-333')
    assert.equal(disk.nodes.auth_token, 'node-tok-444')
  } finally {
    await k.stop()
  }
})

test('loopback and the service token may change security keys, and every change or refusal is audited without values', async () => {
  const k = await boot()
  try {
    const origins = BASE.replace('allowed_origins = []', 'allowed_origins = ["https://ops.example"]')
    const local = await put(k, origins, { authorization: `Bearer ${k.token}` })
    assert.equal(local.status, 200, JSON.stringify(local.json))
    assert.deepEqual((parse(readFileSync(configPath(k), 'utf8')) as any).gateway.allowed_origins, ['https://ops.example'])
    assert.deepEqual(local.json.restart_required, ['gateway.allowed_origins'])

    const ttl = origins.replace('code_ttl_secs = 3600', 'code_ttl_secs = 600')
    const service = await put(k, ttl, { 'x-revka-service-token': k.serviceToken, ...REMOTE })
    assert.equal(service.status, 200, JSON.stringify(service.json))
    assert.equal((parse(readFileSync(configPath(k), 'utf8')) as any).gateway.pairing.code_ttl_secs, 600)

    const refused = await put(k, ttl.replace('max_nodes = 4', 'max_nodes = 4\nauth_token = "audit-secret-zz9"'), {
      authorization: `Bearer ${k.token}`,
      ...REMOTE,
    })
    assert.equal(refused.status, 403)

    // the gateway's audit log (kernel-owned, hash-chained) holds the entries; the plugin keeps no file of its own
    const auditFile = join(k.kernel.paths.kernelDir, 'audit', 'audit.log')
    const text = readFileSync(auditFile, 'utf8')
    assert.ok(!text.includes('audit-secret-zz9') && !text.includes('ops.example'), 'values never reach the audit log')
    assert.throws(() => statSync(join(k.kernel.paths.pluginsStateDir, 'config', 'audit.jsonl')), /ENOENT/)
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => l.event_type === 'config_change')
    const deviceId = k.kernel.auth.credentials.verifyBearer(k.token!)!.deviceId
    assert.deepEqual(
      lines.map((l) => ({ channel: l.actor.channel, user: l.actor.user_id, command: l.action.command, success: l.result.success, error: l.result.error })),
      [
        { channel: 'config', user: deviceId, command: 'config.put gateway.allowed_origins', success: true, error: null },
        { channel: 'config', user: 'service', command: 'config.put gateway.pairing.code_ttl_secs', success: true, error: null },
        { channel: 'config', user: deviceId, command: 'config.put nodes.auth_token', success: false, error: 'config_key_protected' },
      ],
    )
    assert.equal(lines[2].security.policy_violation, true)
    assert.equal(statSync(auditFile).mode & 0o777, 0o600)
    assert.equal((await k.kernel.audit.verify()).verified, true)
  } finally {
    await k.stop()
  }
})

test("an unsafe combination is refused at PUT with the start's own message, even from loopback and the service token", async () => {
  const k = await boot()
  try {
    const before = readFileSync(configPath(k))
    const brick = BASE.replace('host = "127.0.0.1"\nrequire_pairing = true', 'host = "0.0.0.0"\nrequire_pairing = false')
    const callers: Array<Record<string, string>> = [{ authorization: `Bearer ${k.token}` }, { 'x-revka-service-token': k.serviceToken, ...REMOTE }]
    for (const headers of callers) {
      const r = await put(k, brick, headers)
      assert.deepEqual({ status: r.status, code: r.json.code }, { status: 400, code: 'unsafe_config' })
      assert.equal(
        r.json.error,
        'REVKA_ERR_UNSAFE_BIND: Refusing to start: pairing is disabled (require_pairing = false) and host 0.0.0.0 is not loopback. Bind 127.0.0.1 or turn pairing on.',
      )
      assert.ok(readFileSync(configPath(k)).equals(before), 'config.toml was rewritten')
    }
  } finally {
    await k.stop()
  }
  // the same file really is what the start refuses
  await assert.rejects(
    startTestKernel({ plugins: ['config'], config: BASE.replace('host = "127.0.0.1"\nrequire_pairing = true', 'host = "0.0.0.0"\nrequire_pairing = false') }),
    /REVKA_ERR_UNSAFE_BIND: Refusing to start: pairing is disabled/,
  )
})

test("TLS files the start could not read are refused at PUT with the start's REVKA_ERR_TLS message", async () => {
  const tls = BASE.replace(
    '[gateway.pairing]',
    '[gateway.tls]\nenabled = true\ncert_path = "missing-cert.pem"\nkey_path = "missing-key.pem"\n\n[gateway.pairing]',
  )
  let startError = ''
  await startTestKernel({ plugins: ['config'], config: tls }).then(
    (k) => k.stop(),
    (e: Error) => {
      startError = e.message
    },
  )
  assert.match(startError, /^REVKA_ERR_TLS: gateway\.tls\.key_path = "missing-key\.pem": cannot read .*ENOENT/)
  const k = await boot()
  try {
    const before = readFileSync(configPath(k))
    const r = await put(k, tls, { authorization: `Bearer ${k.token}` })
    assert.deepEqual({ status: r.status, code: r.json.code }, { status: 400, code: 'unsafe_config' })
    // the same words, for this gateway's state dir
    const startDir = /cannot read (.*)\/missing-key\.pem/.exec(startError)![1]
    assert.equal(r.json.error, startError.replace(startDir, k.stateDir))
    assert.ok(readFileSync(configPath(k)).equals(before), 'config.toml was rewritten')
  } finally {
    await k.stop()
  }
})

test('[nodes] auth_token set from loopback takes effect on restart, and the answer says so', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'revka-config-restart-'))
  try {
    const k = await startTestKernel({ plugins: ['config', 'nodes', 'pairing'], config: BASE, listen: true, stateDir })
    try {
      const r = await put(k, BASE.replace('max_nodes = 4', 'max_nodes = 4\nauth_token = "node-tok-restart"'), { authorization: `Bearer ${k.token}` })
      assert.equal(r.status, 200, JSON.stringify(r.json))
      assert.deepEqual(r.json.restart_required, ['nodes.auth_token'])
      await assert.rejects(connectNode(k, { token: 'node-tok-restart' }), { statusCode: 401 }, 'the new node token is live before a restart')
    } finally {
      await k.stop()
    }
    const again = await startTestKernel({ plugins: ['config', 'nodes', 'pairing'], listen: true, stateDir })
    try {
      const n = await connectNode(again, { token: 'node-tok-restart' })
      assert.equal((await n.register('after-restart', [])).type, 'registered')
      await n.close()
    } finally {
      await again.stop()
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true })
  }
})

test('a nodes auth_token set by a device that is then revoked never opens /ws/nodes', async () => {
  const k = await boot()
  try {
    const attacker = k.pairDevice('attacker')
    const r = await put(k, BASE.replace('max_nodes = 4', 'max_nodes = 4\nauth_token = "attacker-node-token"'), {
      authorization: `Bearer ${attacker.token}`,
      ...REMOTE,
    })
    assert.equal(k.kernel.auth.pairing.revoke(attacker.deviceId), true)
    let opened = false
    try {
      const n = await connectNode(k, { token: 'attacker-node-token' })
      opened = true
      await n.close()
    } catch (e) {
      assert.equal((e as any).statusCode, 401)
    }
    assert.deepEqual({ put: r.status, opened }, { put: 403, opened: false })
  } finally {
    await k.stop()
  }
})
