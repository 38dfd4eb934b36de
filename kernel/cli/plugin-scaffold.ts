/**
 * The files `revka plugins new <id> [--webhook]` writes: a plugin folder that loads as it stands
 * (manifest, TypeScript entry, a test that passes) and a package.json whose `npm test` runs that
 * test with Node's own runner through @revka/plugin-testing's register hook. Two shapes: a plain
 * plugin with one bearer route, or a signed webhook channel through `defineWebhook`. Pure: the
 * command (plugins-new.ts) decides where they go.
 */

export interface ScaffoldVersions {
  /** the gateway package's version (devDependency `revka`) */
  gateway: string
  /** @revka/plugin-sdk's version, which is the plugin API version (manifest `api`) */
  sdk: string
  /** the TypeScript the gateway is built with */
  typescript: string
}

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n'
/** `my-bot` → `MY_BOT`, for the secret's environment variable */
const envName = (id: string) => `REVKA_${id.toUpperCase().replace(/-/g, '_')}_SECRET`
const major = (v: string) => v.split('.')[0]

function packageJson(id: string, v: ScaffoldVersions): string {
  return json({
    name: `revka-plugin-${id}`,
    version: '0.1.0',
    private: true,
    type: 'module',
    // the gateway discovers npm-installed plugins by this keyword
    keywords: ['revka-plugin'],
    files: ['revka.plugin.json', 'index.ts', 'README.md'],
    scripts: {
      test: 'node --import @revka/plugin-testing/register --test *.test.ts',
      typecheck: 'tsc --noEmit',
    },
    peerDependencies: { '@revka/plugin-sdk': `^${v.sdk}` },
    devDependencies: {
      '@revka/plugin-sdk': `^${v.sdk}`,
      // the harness is versioned with the SDK (one workspace, one release)
      '@revka/plugin-testing': `^${v.sdk}`,
      '@types/node': `^${major(process.versions.node)}`,
      revka: `^${v.gateway}`,
      typescript: `^${v.typescript}`,
    },
  })
}

const TSCONFIG = json({
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  },
  include: ['*.ts'],
})

function plainFiles(id: string, v: ScaffoldVersions): Record<string, string> {
  const manifest = {
    id,
    name: id,
    description: `GET /api/${id}/greet (bearer): a greeting`,
    version: '0.1.0',
    api: `^${v.sdk}`,
    entry: 'index.ts',
    configSchema: {
      type: 'object',
      additionalProperties: false,
      properties: { greeting: { type: 'string', minLength: 1, maxLength: 64, default: 'hello' } },
    },
  }
  const entry = `/**
 * ${id}: a Revka plugin. \`setup\` declares routes as data; the kernel checks each route's auth
 * surface, schema and limits before the handler runs.
 */
import { definePlugin } from '@revka/plugin-sdk'

interface Options {
  greeting: string
}

export default definePlugin<Options>({
  setup(api) {
    api.routes.add({
      method: 'GET',
      url: '/api/${id}/greet',
      // a paired device's bearer token; the kernel answers 401 before this plugin sees anything
      auth: 'bearer',
      schema: {
        query: { type: 'object', additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 64 } } },
      },
      rateLimit: { perMinute: 60 },
      handler: async (req) => {
        const { name = 'world' } = req.query as { name?: string }
        return { message: \`\${api.config.greeting}, \${name}\` }
      },
    })
  },
})
`
  const test = `/** ${id} in a real gateway, in memory: its route as a paired device and a stranger see it. */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'

const here = dirname(fileURLToPath(import.meta.url))
let k: TestKernel

before(async () => {
  k = await startTestKernel({ paths: [here], listen: false, options: { '${id}': { greeting: 'hi' } } })
})
after(async () => {
  await k?.stop()
})

const greet = (query: string, headers: Record<string, string> = { authorization: \`Bearer \${k.token}\` }) =>
  k.inject({ url: \`/api/${id}/greet\${query}\`, headers })

test('a paired device gets the greeting', async () => {
  const res = await greet('?name=Ada')
  assert.equal(res.statusCode, 200)
  assert.deepEqual(res.json(), { message: 'hi, Ada' })
})

test('without a token, or with a wrong one, the route answers 401 and no greeting', async () => {
  for (const headers of [{}, { authorization: 'Bearer wrong' }] as Array<Record<string, string>>) {
    const res = await greet('?name=Ada', headers)
    assert.equal(res.statusCode, 401)
    assert.equal(res.json().message, undefined)
  }
})

test('a name over 64 characters or an unknown parameter is refused with 400', async () => {
  assert.equal((await greet(\`?name=\${'x'.repeat(65)}\`)).statusCode, 400)
  assert.equal((await greet('?admin=1')).statusCode, 400)
})
`
  return { 'revka.plugin.json': json(manifest), 'index.ts': entry, [`${id}.test.ts`]: test }
}

function webhookFiles(id: string, v: ScaffoldVersions): Record<string, string> {
  const env = envName(id)
  const manifest = {
    id,
    name: id,
    description: `POST /webhook/${id}: messages signed with HMAC-SHA256 (X-Signature), answered by the agent through reply_url`,
    version: '0.1.0',
    api: `^${v.sdk}`,
    entry: 'index.ts',
    env: [env],
    requires: ['agent-runtime'],
    // cluster mode: deliveries, idempotency keys, history and counts shared by every node (absent on one node)
    uses: ['webhook-queue', 'shared-sql'],
    configSchema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        secret: { type: 'string', writeOnly: true, description: `the signing secret shared with the sender (env ${env} wins)` },
        reply_url: { type: 'string', pattern: '^https?://', description: 'where replies are POSTed as {to, text}' },
      },
    },
  }
  const entry = `/**
 * ${id}: a webhook channel. The sender POSTs {id, from, text} signed with HMAC-SHA256 of the raw
 * body (\`X-Signature: sha256=<hex>\`); the agent's answer goes back as {to, text} to reply_url.
 * \`defineWebhook\` does the rest: no secret → 503, \`verify\` runs in the kernel before any
 * parsing, a redelivered id starts no second turn, each delivery is journalled before the 200,
 * and the agent runs off the request path with \`send\` retried after a failure.
 */
import { definePlugin, defineWebhook, hmacSha256Hex, postJson, timingSafeEqualStr, type ChannelMessage } from '@revka/plugin-sdk'

interface Options {
  secret?: string
  reply_url?: string
}
/** what the sender POSTs: change it to your provider's payload */
interface Delivery {
  id: string
  from: string
  text: string
}

/** a delivery → the message the agent answers (a throw is a 400) */
export function normalise(body: Delivery): ChannelMessage[] {
  if (typeof body?.id !== 'string' || typeof body.from !== 'string' || typeof body.text !== 'string') throw new Error('expected {id, from, text}')
  return [{ channel: '${id}', sender: body.from, text: body.text, messageId: body.id, replyTo: { to: body.from } }]
}

export default definePlugin<Options>({
  setup(api) {
    defineWebhook<Delivery>(api, {
      channel: '${id}',
      path: '/webhook/${id}',
      secret: { env: '${env}', config: 'secret' },
      verify: (req, secret) => timingSafeEqualStr(req.headers['x-signature'] as string | undefined, \`sha256=\${hmacSha256Hex(secret, req.rawBody)}\`),
      normalise,
      async send(m, text, ctx) {
        const { reply_url } = ctx.options as Options
        if (!reply_url) throw new Error('reply_url is not configured (plugins.${id}.options.reply_url)')
        await postJson(reply_url, { to: m.replyTo?.to, text }, { signal: ctx.signal })
      },
    })
  },
})
`
  const test = `/**
 * ${id} in a real gateway, in memory, with a recording agent runtime and a local stand-in for the
 * reply API: a signed delivery is answered once; a forged or unsigned one changes nothing.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hmacSha256Hex } from '@revka/plugin-sdk'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'

const here = dirname(fileURLToPath(import.meta.url))
const SECRET = 'test-signing-secret'
const replies: Array<{ to: string; text: string }> = []
let replyApi: Server
let k: TestKernel

before(async () => {
  replyApi = createServer((req, res) => {
    let raw = ''
    req.on('data', (c) => (raw += c))
    req.on('end', () => {
      replies.push(JSON.parse(raw))
      res.end('{}')
    })
  })
  await new Promise<void>((r) => replyApi.listen(0, '127.0.0.1', r))
  const reply_url = \`http://127.0.0.1:\${(replyApi.address() as AddressInfo).port}/reply\`
  k = await startTestKernel({ paths: [here], mockAgent: true, listen: false, options: { '${id}': { secret: SECRET, reply_url } } })
})
after(async () => {
  // the stand-in closes even if the kernel never started: an open server keeps the test alive
  replyApi.closeAllConnections()
  await new Promise<void>((r) => replyApi.close(() => r()))
  await k?.stop()
})

const deliver = (body: object, signature?: string) => {
  const payload = JSON.stringify(body)
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (signature !== undefined) headers['x-signature'] = signature
  return { payload, send: () => k.inject({ method: 'POST', url: '/webhook/${id}', headers, payload }) }
}
const sign = (payload: string, secret = SECRET) => \`sha256=\${hmacSha256Hex(secret, payload)}\`

test('an unsigned or forged delivery is 401: no agent turn, no reply', async () => {
  const body = { id: 'm1', from: 'ada', text: 'hi' }
  const { payload } = deliver(body)
  for (const signature of [undefined, 'sha256=00', sign(payload, 'wrong-secret')]) {
    const res = await deliver(body, signature).send()
    assert.equal(res.statusCode, 401)
  }
  assert.equal(k.agent!.turns.length, 0)
  assert.equal(replies.length, 0)
})

test('a signed delivery is answered once; the same id again starts no second turn', async () => {
  const body = { id: 'm2', from: 'ada', text: 'hello' }
  const { payload } = deliver(body)
  const res = await deliver(body, sign(payload)).send()
  assert.equal(res.statusCode, 200)
  const [turn] = await k.agent!.waitForTurns(1)
  assert.equal(turn.text, 'hello')
  for (let i = 0; i < 250 && replies.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
  assert.deepEqual(replies, [{ to: 'ada', text: 'echo: hello' }])
  const again = await deliver(body, sign(payload)).send()
  assert.equal(again.statusCode, 200)
  assert.equal(again.json().status, 'duplicate')
  await new Promise((r) => setTimeout(r, 200))
  assert.equal(k.agent!.turns.length, 1)
  assert.equal(replies.length, 1)
})
`
  return { 'revka.plugin.json': json(manifest), 'index.ts': entry, [`${id}.test.ts`]: test }
}

/** Every file of the new plugin folder, by name. */
export function scaffoldFiles(id: string, opts: { webhook: boolean; versions: ScaffoldVersions }): Record<string, string> {
  const own = opts.webhook ? webhookFiles(id, opts.versions) : plainFiles(id, opts.versions)
  const readme = `# ${id}

A Revka plugin${opts.webhook ? ' (a signed webhook channel)' : ''}, made by \`revka plugins new\`.

    npm install        # the gateway, the SDK and the test harness
    npm test           # node --import @revka/plugin-testing/register --test *.test.ts
    npm run typecheck  # the test run erases types; tsc checks them

Run it in a gateway: list this folder under \`paths\` in revka.plugins.json${opts.webhook ? `, set its \`secret\` (or ${envName(id)}) and \`reply_url\`` : ''}.
The guide "Write a channel plugin" is node_modules/@revka/plugin-sdk/docs/write-a-channel-plugin.md.
`
  return { ...own, 'package.json': packageJson(id, opts.versions), 'tsconfig.json': TSCONFIG, 'README.md': readme }
}
